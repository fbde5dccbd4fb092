// A stand-in Kubernetes API server for tests (no kube-apiserver can run here): the subset of the
// REST API that @kubernetes/client-node's CustomObjectsApi, CoreV1Api and Watch use, for any
// resource, core (/api/v1) or grouped (/apis/<group>/<version>): list, watch (resume from a
// resourceVersion, bookmarks, 410 Gone past the bounded history), get, create, replace, merge
// patch, delete, and the status subresource. Errors are Kubernetes Status objects.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeError, ObjectStore, type Address, type KubeObject, type StoredEvent } from "./objects.js";
import { labelsOf, parseSelector, type LabelPredicate } from "./selectors.js";
import { servePodLog, type PodLogProvider } from "./pod-logs.js";

export type { KubeObject } from "./objects.js";

export interface FakeKubeOptions {
  /** How many changes a watch can resume from (default 1000). */
  historySize?: number;
  /** "<plural>.<group>" of resources with a status subresource, e.g. "packages.fizz.dev". */
  statusSubresources?: string[];
}

interface Watcher {
  collection: string;
  namespace?: string;
  selector?: LabelPredicate;
  res: ServerResponse;
}

/** Options for KubeConfig.loadFromOptions() that point the real client at a stand-in. */
export function kubeConfigOptions(server: string, namespace = "default") {
  return {
    clusters: [{ name: "fake", server, skipTLSVerify: true }],
    users: [{ name: "fake" }],
    contexts: [{ name: "fake", cluster: "fake", user: "fake", namespace }],
    currentContext: "fake",
  };
}

export class FakeKubeApi {
  readonly objects: ObjectStore;
  private readonly watchers = new Set<Watcher>();
  private server?: Server;
  private muted = 0;
  /** Requests served, "METHOD path?query" (for tests that check what the client did). */
  readonly requests: string[] = [];
  /** Answers the pods/log subresource (FakeCluster registers its kubelet); without one it is 404. */
  podLogs?: PodLogProvider;

  constructor(opts: FakeKubeOptions = {}) {
    this.objects = new ObjectStore(opts.historySize ?? 1000, new Set(opts.statusSubresources ?? []));
    this.objects.onEvent = (e) => this.fanOut(e);
  }

  /** Listens on 127.0.0.1 (port 0: any free port); resolves to the base URL. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
    this.server = server;
    return this.url;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error("the stand-in API server is not started");
    return `http://127.0.0.1:${a.port}`;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => (s.close(() => resolve()), s.closeAllConnections()));
  }

  /** Ends every open watch, as the API server does when a watch times out. */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** Open watch connections. */
  get watchCount(): number {
    return this.watchers.size;
  }

  /**
   * Runs changes that open watches never see, as when a watcher lags behind; together with
   * expireWatches() this is how a watch misses events and must relist.
   */
  async silently<T>(changes: () => Promise<T>): Promise<T> {
    this.muted++;
    try {
      return await changes();
    } finally {
      this.muted--;
    }
  }

  /** Compacts the history and ends every watch with an ERROR 410 event ("too old resource version"). */
  expireWatches(): void {
    this.objects.compact();
    for (const w of this.watchers) {
      send(w.res, "ERROR", new KubeError(410, "Expired", "too old resource version").status());
      w.res.end();
    }
    this.watchers.clear();
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) if (bookmarks.has(w)) send(w.res, "BOOKMARK", { metadata: { resourceVersion: this.objects.resourceVersion } });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    try {
      const { address, apiVersion, subresource } = parsePath(url.pathname);
      const q = url.searchParams;
      const ns = address.namespace || undefined;
      const selector = q.get("labelSelector") ? parseSelector(q.get("labelSelector")!) : undefined;
      if (subresource === "log") {
        if (req.method !== "GET") throw new KubeError(405, "MethodNotAllowed", `method ${req.method} is not supported on pods/log`);
        return this.podLog(address, q, res);
      }
      switch (req.method) {
        case "GET":
          if (!address.name) {
            if (q.get("watch") === "true" || q.get("watch") === "1") return this.watch(address, q, selector, res);
            const items = this.objects.list(address.collection, ns).filter((o) => !selector || selector(labelsOf(o)));
            return json(res, 200, { apiVersion, kind: "List", metadata: { resourceVersion: this.objects.resourceVersion }, items });
          }
          return json(res, 200, this.objects.get(address));
        case "POST":
          return json(res, 201, this.objects.create(address, await body(req), apiVersion, subresource));
        case "PUT":
          return json(res, 200, this.objects.replace(named(address), await body(req), subresource));
        case "PATCH": {
          const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
          if (type === "application/json-patch+json") return json(res, 200, this.objects.jsonPatch(named(address), await body(req, true), subresource));
          if (type !== "application/merge-patch+json")
            throw new KubeError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got "${type}")`);
          return json(res, 200, this.objects.patch(named(address), (await body(req)) as KubeObject, subresource));
        }
        case "DELETE":
          return json(res, 200, this.objects.delete(named(address)));
        default:
          throw new KubeError(405, "MethodNotAllowed", `method ${req.method} is not supported`);
      }
    } catch (err) {
      const e = err instanceof KubeError ? err : new KubeError(500, "InternalError", String(err));
      if (!res.headersSent) json(res, e.code, e.status());
      else res.end();
    }
  }

  private podLog(a: Address, q: URLSearchParams, res: ServerResponse): void {
    if (a.collection !== "core/v1/pods" || !this.podLogs) throw new KubeError(404, "NotFound", `the server could not find the requested resource (${a.resource}/log)`);
    this.objects.get(a); // 404 for an unknown pod
    servePodLog(this.podLogs(a.namespace, a.name, q.get("container") || undefined), q, res);
  }

  private watch(a: Address, q: URLSearchParams, selector: LabelPredicate | undefined, res: ServerResponse): void {
    const from = q.get("resourceVersion");
    // Replay first (410 Gone if history no longer reaches back), then stream live events.
    let replay: { type: string; object: KubeObject }[];
    if (!from || from === "0") {
      replay = this.objects
        .list(a.collection, a.namespace || undefined)
        .filter((o) => !selector || selector(labelsOf(o)))
        .map((object) => ({ type: "ADDED", object }));
    } else {
      const rv = Number(from);
      if (!Number.isSafeInteger(rv) || rv < 0) throw new KubeError(400, "BadRequest", `invalid resourceVersion "${from}"`);
      try {
        replay = this.objects
          .since(rv)
          .filter((e) => matches(e, a.collection, a.namespace || undefined))
          .flatMap((e) => seenAs(e, selector));
      } catch (err) {
        // A real server answers an expired watch with 200 and one ERROR event carrying the 410 Status.
        if (!(err instanceof KubeError) || err.code !== 410) throw err;
        res.writeHead(200, { "content-type": "application/json" });
        send(res, "ERROR", err.status());
        return void res.end();
      }
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    for (const e of replay) send(res, e.type, e.object);
    const w: Watcher = { collection: a.collection, namespace: a.namespace || undefined, selector, res };
    if (q.get("allowWatchBookmarks") === "true") {
      bookmarks.add(w);
      send(res, "BOOKMARK", { metadata: { resourceVersion: this.objects.resourceVersion } });
    }
    this.watchers.add(w);
    res.on("close", () => this.watchers.delete(w));
  }

  private fanOut(e: StoredEvent): void {
    if (this.muted) return;
    for (const w of this.watchers) if (matches(e, w.collection, w.namespace)) for (const s of seenAs(e, w.selector)) send(w.res, s.type, s.object);
  }
}

/**
 * What a selector-filtered watch sees of a change: as on a real server, an object that starts
 * matching is ADDED and one that stops matching is DELETED (carrying its new state).
 */
function seenAs(e: StoredEvent, selector: LabelPredicate | undefined): { type: string; object: KubeObject }[] {
  if (!selector) return [{ type: e.type, object: e.object }];
  const now = selector(labelsOf(e.object));
  if (e.type !== "MODIFIED" || !e.old) return now ? [{ type: e.type, object: e.object }] : [];
  const was = selector(labelsOf(e.old));
  if (now) return [{ type: was ? "MODIFIED" : "ADDED", object: e.object }];
  return was ? [{ type: "DELETED", object: e.object }] : [];
}

const bookmarks = new WeakSet<Watcher>();

const matches = (e: StoredEvent, collection: string, namespace: string | undefined) =>
  e.collection === collection && (namespace === undefined || e.namespace === namespace);

function send(res: ServerResponse, type: string, object: KubeObject): void {
  res.write(JSON.stringify({ type, object }) + "\n");
}

function json(res: ServerResponse, code: number, value: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

/** The JSON body: an object, or (a JSON patch) an array. */
async function body(req: IncomingMessage, array: true): Promise<unknown[]>;
async function body(req: IncomingMessage): Promise<KubeObject>;
async function body(req: IncomingMessage, array = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const what = array ? "a JSON array" : "a JSON object";
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v) !== array) throw new Error(`not ${what}`);
    return v;
  } catch (err) {
    throw new KubeError(400, "BadRequest", `the request body is not ${what}: ${(err as Error).message}`);
  }
}

function named(a: Address): Address {
  if (!a.name) throw new KubeError(405, "MethodNotAllowed", "this method needs an object name in the path");
  return a;
}

/** /api/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]] or the same under /apis/<group>/<version>. */
function parsePath(path: string): { address: Address; apiVersion: string; subresource?: string } {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string, version: string, rest: string[];
  if (parts[0] === "api" && parts.length >= 3) [group, version, rest] = ["core", parts[1]!, parts.slice(2)];
  else if (parts[0] === "apis" && parts.length >= 4) [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  else throw new KubeError(404, "NotFound", `the server could not find the requested resource (${path})`);
  let namespace = "";
  // namespaces/<ns>/<resource>... is namespaced; namespaces[/<name>] is the Namespace object itself.
  if (rest[0] === "namespaces" && rest.length >= 3) [namespace, rest] = [rest[1]!, rest.slice(2)];
  const [resource, name = "", subresource] = rest as [string, string?, string?];
  if (subresource !== undefined && subresource !== "status" && subresource !== "log") throw new KubeError(404, "NotFound", `subresource "${subresource}" is not served`);
  const apiVersion = group === "core" ? version : `${group}/${version}`;
  return { address: { collection: `${group}/${version}/${resource}`, resource, group, namespace, name }, apiVersion, subresource };
}
