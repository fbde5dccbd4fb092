// The Kubernetes store: every resource is a fizz.dev/v1 custom resource (FIZZ_STORE=kubernetes).
// Reads come from memory, kept current by one watch per kind (resume from the last
// resourceVersion, bookmarks, relist on 410 Gone), so changes made by others (kubectl apply) show
// up too and are reported through onExternalChange, one at a time in the order seen; the controller
// validates them and adopts (put), rejects or forgets them; until then the last valid state is
// served. Writes go to the API server with the
// Kubernetes resourceVersion last seen: a stale one is a 409 Conflict there, an ABORTED error here.
import { ApiException, CoreV1Api, CustomObjectsApi, Watch, type KubeConfig } from "@kubernetes/client-node";
import { FizzError, silentLogger, type Logger } from "@fizz/common";
import type { Kind, Resource } from "@fizz/proto";
import { kindOf, metaOf } from "../kinds.js";
import { CR_KINDS, GROUP, REJECTED_ANNOTATION, VERSION, crKind, fizzVersionOf, fromCustomResource, toCustomResource, type CrKind, type CustomResource } from "./kube-mapping.js";
import { ExternalQueue } from "./external-queue.js";
import type { ExternalChange, ExternalHandler, LoadedState, ResourceStore } from "./store.js";

export type { ExternalChange } from "./store.js";

export interface KubeStoreOptions {
  kubeConfig: KubeConfig;
  /** Where the version counter ConfigMap lives (the controller's own namespace). */
  namespace: string;
  log?: Logger;
  onExternalChange?: ExternalHandler;
  /** Delay before re-opening a watch that failed (default 1000 ms). */
  retryMs?: number;
}

interface Entry {
  resource: Resource;
  /** Kubernetes' resourceVersion of the CR, for optimistic concurrency and to recognise our own events. */
  kubeVersion: string;
  /** Every Kubernetes version our last write produced (spec, then status): their events are ours. */
  written?: string[];
}

/** Holds the last version issued for a deletion: only deletions leave no CR to derive it from. */
const COUNTER = "fizz-resource-version";
const key = (namespace: string, name: string) => `${namespace}/${name}`;

export class KubeStore implements ResourceStore {
  /** What is served: valid resources only. */
  private readonly byKind = new Map<Kind, Map<string, Entry>>(CR_KINDS.map((k) => [k.info.kind, new Map()]));
  /** The latest Kubernetes version of every CR that exists, served or not (rejected, pending). */
  private readonly known = new Map<Kind, Map<string, string>>(CR_KINDS.map((k) => [k.info.kind, new Map()]));
  private readonly external: ExternalQueue;
  /** Raw CRs of the pending changes, for reject(). */
  private readonly raw = new WeakMap<ExternalChange, CustomResource>();
  private readonly api: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly watch: Watch;
  private readonly log: Logger;
  /**
   * Writes in flight by kind/namespace/name, with the watch events that arrived meanwhile: looked
   * at once the write is done, when our own versions are known (someone may delete it meanwhile).
   */
  private readonly writing = new Map<string, Array<() => void>>();
  private readonly aborts = new Map<Kind, AbortController>();
  private closed = false;
  /** Relists done after a 410 Gone (for diagnostics and tests). */
  relists = 0;

  constructor(private readonly opts: KubeStoreOptions) {
    this.api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.watch = new Watch(opts.kubeConfig);
    this.log = opts.log ?? silentLogger;
    this.external = new ExternalQueue(this.log, opts.onExternalChange);
  }

  onExternalChange(handler: ExternalHandler): void {
    this.external.setHandler(handler);
  }

  async load(): Promise<LoadedState> {
    let max = await this.readCounter();
    for (const k of CR_KINDS) {
      const { rv, items } = await this.relist(k, true);
      for (const cr of items) max = Math.max(max, fizzVersionOf(cr));
      this.startWatch(k, rv);
    }
    const resources = [...this.byKind.values()].flatMap((m) => [...m.values()].map((e) => e.resource));
    this.log.info({ resources: resources.length, resourceVersion: max }, "resources loaded from Kubernetes");
    return { resources, resourceVersion: max };
  }

  async get(kind: Kind, namespace: string, name: string): Promise<Resource | undefined> {
    return this.map(kind).get(key(namespace, name))?.resource;
  }

  async list(kind: Kind, namespace?: string): Promise<Resource[]> {
    const all = [...this.map(kind).values()].map((e) => e.resource);
    return namespace === undefined ? all : all.filter((r) => metaOf(r).namespace === namespace);
  }

  async put(resource: Resource, kubeVersion?: string): Promise<void> {
    const k = crKind(kindOf(resource).kind);
    const { namespace, name } = metaOf(resource);
    const at = { group: GROUP, version: VERSION, plural: k.plural, namespace };
    // Our writes replace what we served: an external change not yet adopted makes them conflict.
    const base = kubeVersion ?? this.map(k.info.kind).get(key(namespace, name))?.kubeVersion;
    await this.writingTo(k, namespace, name, async () => {
      const body = toCustomResource(resource, base);
      let cr = (await (base
        ? this.api.replaceNamespacedCustomObject({ ...at, name, body })
        : this.api.createNamespacedCustomObject({ ...at, body }))) as CustomResource;
      const written = [cr.metadata?.resourceVersion ?? ""];
      if (k.hasStatus && body.status !== undefined) {
        cr = (await this.api.replaceNamespacedCustomObjectStatus({ ...at, name, body: { ...body, metadata: { ...body.metadata, resourceVersion: written[0] } } })) as CustomResource;
        written.push(cr.metadata?.resourceVersion ?? "");
      }
      this.map(k.info.kind).set(key(namespace, name), { resource, kubeVersion: written.at(-1)!, written });
      this.knownOf(k.info.kind).set(key(namespace, name), written.at(-1)!);
    });
  }

  async reject(change: ExternalChange, reason: string): Promise<void> {
    const k = crKind(change.kind);
    const cr = this.raw.get(change);
    if (!cr) return;
    const { namespace, name } = change;
    await this.writingTo(k, namespace, name, async () => {
      const body = { ...cr, metadata: { ...cr.metadata, resourceVersion: change.kubeVersion, annotations: { ...cr.metadata?.annotations, [REJECTED_ANNOTATION]: reason } } };
      const out = (await this.api.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, plural: k.plural, namespace, name, body })) as CustomResource;
      this.knownOf(change.kind).set(key(namespace, name), out.metadata?.resourceVersion ?? "");
    });
  }

  async forget(kind: Kind, namespace: string, name: string, resourceVersion: number): Promise<void> {
    await this.writeCounter(resourceVersion);
    this.map(kind).delete(key(namespace, name));
  }

  async delete(kind: Kind, namespace: string, name: string, resourceVersion: number): Promise<void> {
    const k = crKind(kind);
    // Counter first, as the file store does: a crash in between skips a version, never reuses one.
    await this.writeCounter(resourceVersion);
    await this.writingTo(k, namespace, name, async () => {
      await this.api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: k.plural, namespace, name }).catch((err: unknown) => {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      });
      this.map(kind).delete(key(namespace, name));
      this.knownOf(kind).delete(key(namespace, name));
    });
  }

  /** Stops the watches. */
  close(): void {
    this.closed = true;
    this.external.close();
    for (const a of this.aborts.values()) a.abort();
    this.aborts.clear();
  }

  private async writingTo(k: CrKind, namespace: string, name: string, write: () => Promise<void>): Promise<void> {
    const id = `${k.plural}/${namespace}/${name}`;
    this.writing.set(id, []);
    try {
      await write();
    } catch (err) {
      throw apiError(err, `${k.info.name} "${namespace}/${name}"`);
    } finally {
      const held = this.writing.get(id) ?? [];
      this.writing.delete(id);
      for (const apply of held) apply();
    }
  }

  /**
   * Lists a kind: initially every versioned CR is served as it is and the others (made outside
   * Fizz, or rejected) are reported; later, differences from what was known are reported.
   * Returns the list's resourceVersion to watch from.
   */
  private async relist(k: CrKind, initial: boolean): Promise<{ rv: string; items: CustomResource[] }> {
    const list = (await this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: k.plural }).catch((err: unknown) => {
      throw apiError(err, `${k.plural}.${GROUP}`);
    })) as { metadata?: { resourceVersion?: string }; items?: CustomResource[] };
    const seen = new Set<string>();
    const items = list.items ?? [];
    for (const cr of items) {
      const id = key(cr.metadata?.namespace ?? "", cr.metadata?.name ?? "");
      seen.add(id);
      if (initial && fizzVersionOf(cr) > 0 && !cr.metadata?.annotations?.[REJECTED_ANNOTATION]) {
        const kubeVersion = cr.metadata?.resourceVersion ?? "";
        this.map(k.info.kind).set(id, { resource: this.decode(k, cr), kubeVersion });
        this.knownOf(k.info.kind).set(id, kubeVersion);
      } else this.apply(k, initial ? "ADDED" : "MODIFIED", cr);
    }
    if (!initial)
      for (const [id] of this.knownOf(k.info.kind))
        if (!seen.has(id)) {
          const [namespace = "", name = ""] = id.split("/");
          this.apply(k, "DELETED", { metadata: { namespace, name } });
        }
    return { rv: list.metadata?.resourceVersion ?? "", items };
  }

  private startWatch(k: CrKind, from: string): void {
    if (this.closed) return;
    let rv = from;
    let expired = false;
    const onEvent = (type: string, obj: CustomResource & { code?: number }) => {
      if (type === "BOOKMARK") rv = obj.metadata?.resourceVersion ?? rv;
      else if (type === "ERROR") expired ||= obj.code === 410;
      else if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") {
        rv = obj.metadata?.resourceVersion ?? rv;
        this.apply(k, type, obj);
      }
    };
    const onDone = (err: unknown) => {
      if (this.closed) return;
      const gone = expired || (err as { statusCode?: number } | null)?.statusCode === 410;
      if (gone) {
        this.log.info({ kind: k.info.name }, "watch history expired (410 Gone): relisting");
        this.relists++;
        this.relist(k, false).then(
          (next) => this.startWatch(k, next.rv),
          (e: unknown) => this.retry(k, rv, e),
        );
      } else if (err) this.retry(k, rv, err);
      else this.startWatch(k, rv); // the server ended the watch (timeout): resume where it stopped
    };
    this.watch
      .watch(`/apis/${GROUP}/${VERSION}/${k.plural}`, { resourceVersion: rv, allowWatchBookmarks: true }, onEvent, onDone)
      .then((abort) => (this.closed ? abort.abort() : this.aborts.set(k.info.kind, abort)), (e: unknown) => this.retry(k, rv, e));
  }

  private retry(k: CrKind, rv: string, err: unknown): void {
    this.log.warn({ kind: k.info.name, err: String(err) }, "watch failed; retrying");
    setTimeout(() => this.startWatch(k, rv), this.opts.retryMs ?? 1000).unref();
  }

  /** One watched change: ours and ones already seen are skipped; others are reported. */
  private apply(k: CrKind, type: "ADDED" | "MODIFIED" | "DELETED", cr: CustomResource): void {
    const { namespace = "", name = "" } = cr.metadata ?? {};
    const id = key(namespace, name);
    const cur = this.map(k.info.kind).get(id);
    const known = this.knownOf(k.info.kind);
    const held = this.writing.get(`${k.plural}/${namespace}/${name}`);
    if (held) return void held.push(() => this.apply(k, type, cr));
    const base = { kind: k.info.kind, namespace, name, rejected: "" };
    if (type === "DELETED") {
      known.delete(id);
      // A CR never served (rejected, or not adopted yet) goes without an event.
      if (cur) this.external.push({ ...base, type, resource: cur.resource, kubeVersion: "" });
      return;
    }
    const rv = cr.metadata?.resourceVersion ?? "";
    if (known.get(id) === rv || cur?.written?.includes(rv)) return;
    known.set(id, rv);
    const change: ExternalChange = { ...base, type: cur ? "MODIFIED" : "ADDED", kubeVersion: rv, rejected: cr.metadata?.annotations?.[REJECTED_ANNOTATION] ?? "" };
    try {
      change.resource = fromCustomResource(k, cr);
    } catch (err) {
      change.unreadable = `not a valid ${k.info.name}: ${(err as Error).message}`;
    }
    this.raw.set(change, cr);
    this.external.push(change);
  }

  /** A CR as a resource at load; an unreadable one fails it loudly. */
  private decode(k: CrKind, cr: CustomResource): Resource {
    try {
      return fromCustomResource(k, cr);
    } catch (err) {
      const what = `${k.plural}.${GROUP} "${cr.metadata?.namespace}/${cr.metadata?.name}"`;
      throw new FizzError("DATA_LOSS", `cannot load ${what}: ${(err as Error).message}. Fix or delete it (kubectl edit/delete) and start again.`, "CORRUPT_STATE");
    }
  }

  private async readCounter(): Promise<number> {
    try {
      const cm = await this.core.readNamespacedConfigMap({ name: COUNTER, namespace: this.opts.namespace });
      const v = Number(cm.data?.resourceVersion);
      if (!Number.isSafeInteger(v) || v < 0) throw new FizzError("DATA_LOSS", `ConfigMap ${this.opts.namespace}/${COUNTER}: resourceVersion is not a non-negative integer`, "CORRUPT_STATE");
      return v;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return 0;
      throw apiError(err, `ConfigMap ${this.opts.namespace}/${COUNTER}`);
    }
  }

  private async writeCounter(v: number): Promise<void> {
    const body = { metadata: { name: COUNTER, namespace: this.opts.namespace }, data: { resourceVersion: String(v) } };
    try {
      await this.core.replaceNamespacedConfigMap({ name: COUNTER, namespace: this.opts.namespace, body }).catch(async (err: unknown) => {
        if (err instanceof ApiException && err.code === 404) await this.core.createNamespacedConfigMap({ namespace: this.opts.namespace, body });
        else throw err;
      });
    } catch (err) {
      throw apiError(err, `ConfigMap ${this.opts.namespace}/${COUNTER}`);
    }
  }

  private map(kind: Kind): Map<string, Entry> {
    return this.byKind.get(kind) ?? new Map();
  }

  private knownOf(kind: Kind): Map<string, string> {
    return this.known.get(kind) ?? new Map();
  }
}

/** An API server failure as a FizzError: 409 Conflict is ABORTED (someone else wrote first). */
function apiError(err: unknown, what: string): unknown {
  if (err instanceof FizzError) return err;
  if (!(err instanceof ApiException)) return new FizzError("UNAVAILABLE", `Kubernetes API: ${what}: ${String(err)}`);
  let message = String(err.body);
  try {
    message = (JSON.parse(String(err.body)) as { message?: string }).message ?? message;
  } catch {
    // not a Status body
  }
  if (err.code === 409) return new FizzError("ABORTED", `${what} was changed in Kubernetes by someone else (409 Conflict: ${message}); retry`, "CONFLICT");
  return new FizzError("UNAVAILABLE", `Kubernetes API refused ${what} (${err.code}): ${message}`);
}
