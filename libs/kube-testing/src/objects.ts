// The stand-in API server's storage: objects by collection, one global monotonic
// resourceVersion (like etcd's revision), and a bounded event history that watches resume from.
import { randomUUID } from "node:crypto";
import { applyJsonPatch } from "./json-patch.js";

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & { name?: string; namespace?: string; resourceVersion?: string };
  spec?: unknown;
  status?: unknown;
};

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

/** A stored change, kept for watches that resume from a resourceVersion. */
export interface StoredEvent {
  rv: number;
  type: EventType;
  collection: string;
  namespace: string;
  object: KubeObject;
  /** The object before a MODIFIED change (selector-filtered watches turn a match change into ADDED/DELETED). */
  old?: KubeObject;
}

/** An error the HTTP layer turns into a Kubernetes Status (reason and code as the real server uses). */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  status(): KubeObject {
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message, reason: this.reason, details: this.details, code: this.code };
  }
}

/** Where an object lives: collection is "<group>/<version>/<resource>" ("core/v1/pods"). */
export interface Address {
  collection: string;
  resource: string;
  group: string;
  namespace: string;
  name: string;
}

const clone = <T>(v: T): T => structuredClone(v);

export class ObjectStore {
  private revision = 0;
  /** Up to which revision history was dropped; resuming from older versions is 410 Gone. */
  private compacted = 0;
  private readonly objects = new Map<string, KubeObject>();
  readonly history: StoredEvent[] = [];
  /** Called for every change, after it is stored. */
  onEvent: (e: StoredEvent) => void = () => {};
  private readonly listeners = new Set<(e: StoredEvent) => void>();

  constructor(
    private readonly historySize: number,
    /** "<resource>.<group>" names whose status is only written through /status, as CRDs with the status subresource. */
    private readonly statusSubresources: ReadonlySet<string>,
  ) {}

  /** Calls fn after every change too (in-process controllers, e.g. FakeCluster); returns the unsubscribe. */
  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  list(collection: string, namespace: string | undefined): KubeObject[] {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(`${collection}|${namespace === undefined ? "" : `${namespace}|`}`))
      .map(([, o]) => clone(o));
  }

  get(a: Address): KubeObject {
    const o = this.objects.get(key(a));
    if (!o) throw notFound(a);
    return clone(o);
  }

  create(a: Address, body: KubeObject, apiVersion: string, subresource: string | undefined): KubeObject {
    const meta = body.metadata ?? {};
    // generateName: the server appends a random suffix, as the real one does.
    const name = String(meta.name || (meta.generateName ? `${String(meta.generateName)}${randomUUID().replace(/-/g, "").slice(0, 5)}` : ""));
    if (subresource) throw new KubeError(405, "MethodNotAllowed", `create is not supported on the ${subresource} subresource`);
    if (!name) throw new KubeError(422, "Invalid", "metadata.name: Required value: name is required");
    if (meta.namespace !== undefined && meta.namespace !== a.namespace)
      throw new KubeError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    const at = { ...a, name };
    if (this.objects.has(key(at))) throw new KubeError(409, "AlreadyExists", `${a.resource}.${a.group} "${name}" already exists`, details(at));
    const obj: KubeObject = { ...clone(body), apiVersion: body.apiVersion ?? apiVersion };
    if (this.hasStatusSubresource(a)) delete obj.status;
    const { resourceVersion: _rv, ...rest } = meta;
    obj.metadata = { ...rest, name, ...(a.namespace ? { namespace: a.namespace } : {}), uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
    return this.store("ADDED", at, obj);
  }

  /** PUT: the body replaces the object (or only its status, through /status). */
  replace(a: Address, body: KubeObject, subresource: string | undefined): KubeObject {
    const old = this.get(a);
    // Custom resources require the version on update; core objects allow an unconditional PUT.
    this.checkVersion(a, body, old, a.group !== "core");
    if ((body.metadata?.name ?? a.name) !== a.name) throw new KubeError(400, "BadRequest", "the name of the object does not match the name on the URL");
    return this.update(a, old, subresource === "status" ? { ...old, status: body.status } : { ...body, status: this.hasStatusSubresource(a) ? old.status : body.status });
  }

  /** PATCH with an RFC 7386 JSON merge patch. */
  patch(a: Address, patch: KubeObject, subresource: string | undefined): KubeObject {
    const old = this.get(a);
    this.checkVersion(a, patch, old, false);
    return this.patched(a, old, mergePatch(old, patch) as KubeObject, subresource);
  }

  /** PATCH with an RFC 6902 JSON patch; a resourceVersion it sets must be the current one. */
  jsonPatch(a: Address, ops: unknown, subresource: string | undefined): KubeObject {
    const old = this.get(a);
    const next = applyJsonPatch(old, ops);
    if (!next || typeof next !== "object" || Array.isArray(next)) throw new KubeError(422, "Invalid", "a JSON patch must leave an object");
    this.checkVersion(a, next as KubeObject, old, false);
    return this.patched(a, old, next as KubeObject, subresource);
  }

  private patched(a: Address, old: KubeObject, next: KubeObject, subresource: string | undefined): KubeObject {
    return this.update(a, old, subresource === "status" ? { ...old, status: next.status } : { ...next, status: this.hasStatusSubresource(a) ? old.status : next.status });
  }

  delete(a: Address): KubeObject {
    const old = this.get(a);
    this.objects.delete(key(a));
    return this.record("DELETED", a, { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.revision) } });
  }

  /** Events after rv; 410 Gone once history no longer reaches back that far. */
  since(rv: number): StoredEvent[] {
    if (rv < this.compacted) throw gone(rv, this.compacted);
    return this.history.filter((e) => e.rv > rv);
  }

  /** Forgets all history up to now, as etcd compaction does: older resourceVersions become 410 Gone. */
  compact(): void {
    this.compacted = this.revision;
    this.history.length = 0;
  }

  private update(a: Address, old: KubeObject, next: KubeObject): KubeObject {
    // The new metadata replaces the old (a patch's was merged already), so fields can be removed.
    const meta: Record<string, unknown> = { ...(next.metadata ?? {}) };
    // Immutable fields stay the server's; generation counts spec changes only.
    for (const f of ["uid", "creationTimestamp", "name", "namespace"]) meta[f] = old.metadata?.[f];
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(old.spec);
    meta.generation = Number(old.metadata?.generation ?? 1) + (specChanged ? 1 : 0);
    return this.store("MODIFIED", a, { ...next, apiVersion: old.apiVersion, kind: old.kind, metadata: meta }, old);
  }

  private store(type: EventType, a: Address, obj: KubeObject, old?: KubeObject): KubeObject {
    obj.metadata = { ...obj.metadata, resourceVersion: String(++this.revision) };
    this.objects.set(key(a), obj);
    return this.record(type, a, obj, old);
  }

  private record(type: EventType, a: Address, obj: KubeObject, old?: KubeObject): KubeObject {
    const e: StoredEvent = { rv: this.revision, type, collection: a.collection, namespace: a.namespace, object: clone(obj), ...(old ? { old } : {}) };
    this.history.push(e);
    if (this.history.length > this.historySize) this.compacted = this.history.shift()!.rv;
    this.onEvent(e);
    for (const l of this.listeners) l(e);
    return clone(obj);
  }

  private checkVersion(a: Address, body: KubeObject, old: KubeObject, required: boolean): void {
    const rv = body.metadata?.resourceVersion;
    if (rv === undefined || rv === "") {
      if (required) throw new KubeError(422, "Invalid", `${a.resource}.${a.group} "${a.name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`, details(a));
      return;
    }
    if (rv !== old.metadata?.resourceVersion)
      throw new KubeError(409, "Conflict", `Operation cannot be fulfilled on ${a.resource}.${a.group} "${a.name}": the object has been modified; please apply your changes to the latest version and try again`, details(a));
  }

  private hasStatusSubresource(a: Address): boolean {
    return this.statusSubresources.has(`${a.resource}.${a.group}`);
  }
}

const key = (a: Address) => `${a.collection}|${a.namespace}|${a.name}`;
const details = (a: Address) => ({ name: a.name, group: a.group === "core" ? "" : a.group, kind: a.resource });
const notFound = (a: Address) => new KubeError(404, "NotFound", `${a.resource}.${a.group} "${a.name}" not found`, details(a));
const gone = (rv: number, oldest: number) => new KubeError(410, "Expired", `too old resource version: ${rv} (${oldest})`);

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The Address of an object in a collection ("core/v1/pods", "apps/v1/deployments"). */
export function addressOf(collection: string, namespace: string, name: string): Address {
  const [group, , resource] = collection.split("/") as [string, string, string];
  return { collection, resource, group, namespace, name };
}
