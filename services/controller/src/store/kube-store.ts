// The Kubernetes store: every resource is a fizz.dev/v1 custom resource (FIZZ_STORE=kubernetes).
// Reads come from memory, kept current by one watch per kind (resume from the last
// resourceVersion, bookmarks, relist on 410 Gone), so changes made by others (kubectl apply) show
// up too and are reported through onExternalChange. Writes go to the API server with the
// Kubernetes resourceVersion last seen: a stale one is a 409 Conflict there, an ABORTED error here.
import { ApiException, CoreV1Api, CustomObjectsApi, Watch, type KubeConfig } from "@kubernetes/client-node";
import { FizzError, silentLogger, type Logger } from "@fizz/common";
import type { Kind, Resource } from "@fizz/proto";
import { kindOf, metaOf, versionOf } from "../kinds.js";
import { CR_KINDS, GROUP, VERSION, crKind, fizzVersionOf, fromCustomResource, toCustomResource, type CrKind, type CustomResource } from "./kube-mapping.js";
import type { LoadedState, ResourceStore } from "./store.js";

/** A change made outside this controller, as the watch saw it. */
export interface ExternalChange {
  type: "ADDED" | "MODIFIED" | "DELETED";
  resource: Resource;
}

export interface KubeStoreOptions {
  kubeConfig: KubeConfig;
  /** Where the version counter ConfigMap lives (the controller's own namespace). */
  namespace: string;
  log?: Logger;
  onExternalChange?: (change: ExternalChange) => void;
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
  private readonly byKind = new Map<Kind, Map<string, Entry>>(CR_KINDS.map((k) => [k.info.kind, new Map()]));
  private readonly api: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly watch: Watch;
  private readonly log: Logger;
  /** Writes in flight by kind/namespace/name: their watch events are ours, not external. */
  private readonly writing = new Set<string>();
  private readonly aborts = new Map<Kind, AbortController>();
  private closed = false;
  /** Relists done after a 410 Gone (for diagnostics and tests). */
  relists = 0;

  constructor(private readonly opts: KubeStoreOptions) {
    this.api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.watch = new Watch(opts.kubeConfig);
    this.log = opts.log ?? silentLogger;
  }

  async load(): Promise<LoadedState> {
    let max = await this.readCounter();
    for (const k of CR_KINDS) {
      const rv = await this.relist(k, true);
      for (const e of this.map(k.info.kind).values()) max = Math.max(max, versionOf(e.resource));
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

  async put(resource: Resource): Promise<void> {
    const k = crKind(kindOf(resource).kind);
    const { namespace, name } = metaOf(resource);
    const at = { group: GROUP, version: VERSION, plural: k.plural, namespace };
    const old = this.map(k.info.kind).get(key(namespace, name));
    await this.writingTo(k, namespace, name, async () => {
      const body = toCustomResource(resource, old?.kubeVersion);
      let cr = (await (old
        ? this.api.replaceNamespacedCustomObject({ ...at, name, body })
        : this.api.createNamespacedCustomObject({ ...at, body }))) as CustomResource;
      const written = [cr.metadata?.resourceVersion ?? ""];
      if (k.hasStatus && body.status !== undefined) {
        cr = (await this.api.replaceNamespacedCustomObjectStatus({ ...at, name, body: { ...body, metadata: { ...body.metadata, resourceVersion: written[0] } } })) as CustomResource;
        written.push(cr.metadata?.resourceVersion ?? "");
      }
      this.map(k.info.kind).set(key(namespace, name), { resource, kubeVersion: written.at(-1)!, written });
    });
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
    });
  }

  /** Stops the watches. */
  close(): void {
    this.closed = true;
    for (const a of this.aborts.values()) a.abort();
    this.aborts.clear();
  }

  private async writingTo(k: CrKind, namespace: string, name: string, write: () => Promise<void>): Promise<void> {
    const id = `${k.plural}/${namespace}/${name}`;
    this.writing.add(id);
    try {
      await write();
    } catch (err) {
      throw apiError(err, `${k.info.name} "${namespace}/${name}"`);
    } finally {
      this.writing.delete(id);
    }
  }

  /** Lists a kind and replaces its view; returns the list's resourceVersion to watch from. */
  private async relist(k: CrKind, initial: boolean): Promise<string> {
    const list = (await this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: k.plural }).catch((err: unknown) => {
      throw apiError(err, `${k.plural}.${GROUP}`);
    })) as { metadata?: { resourceVersion?: string }; items?: CustomResource[] };
    const seen = new Set<string>();
    for (const cr of list.items ?? []) {
      const id = key(cr.metadata?.namespace ?? "", cr.metadata?.name ?? "");
      seen.add(id);
      if (initial) this.map(k.info.kind).set(id, { resource: this.decode(k, cr, true)!, kubeVersion: cr.metadata?.resourceVersion ?? "" });
      else this.apply(k, "MODIFIED", cr);
    }
    if (!initial)
      for (const [id, e] of this.map(k.info.kind))
        if (!seen.has(id)) {
          this.map(k.info.kind).delete(id);
          this.opts.onExternalChange?.({ type: "DELETED", resource: e.resource });
        }
    return list.metadata?.resourceVersion ?? "";
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
          (next) => this.startWatch(k, next),
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

  /** One watched change: ours are already applied; others update the view and are reported. */
  private apply(k: CrKind, type: "ADDED" | "MODIFIED" | "DELETED", cr: CustomResource): void {
    const { namespace = "", name = "" } = cr.metadata ?? {};
    const id = key(namespace, name);
    const m = this.map(k.info.kind);
    const cur = m.get(id);
    if (this.writing.has(`${k.plural}/${namespace}/${name}`)) return;
    if (type === "DELETED") {
      if (!cur) return;
      m.delete(id);
      return this.opts.onExternalChange?.({ type, resource: cur.resource });
    }
    const rv = cr.metadata?.resourceVersion ?? "";
    if (cur && (cur.kubeVersion === rv || cur.written?.includes(rv))) return;
    const resource = this.decode(k, cr, false);
    if (!resource) return;
    m.set(id, { resource, kubeVersion: rv });
    this.opts.onExternalChange?.({ type: cur ? "MODIFIED" : "ADDED", resource });
  }

  /** A CR as a resource; unreadable ones fail load() loudly and are skipped (logged) later. */
  private decode(k: CrKind, cr: CustomResource, strict: boolean): Resource | undefined {
    try {
      return fromCustomResource(k, cr);
    } catch (err) {
      const what = `${k.plural}.${GROUP} "${cr.metadata?.namespace}/${cr.metadata?.name}"`;
      if (!strict) {
        this.log.warn({ resource: what, err: String(err) }, "ignoring a custom resource that is not a valid resource");
        return undefined;
      }
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
