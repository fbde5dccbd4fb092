// AdminService: CRUD and Watch over every kind. Every write runs inside one lock, so resource
// versions, validation against other resources and the order of watch events all agree.
import { clone, create, equals } from "@bufbuild/protobuf";
import {
  AdminService,
  ArchiveSchema,
  DeleteResponseSchema,
  ListResponseSchema,
  EventType,
  Kind,
  ObjectMetaSchema,
  ResourceSchema,
  type CreateRequest,
  type DeleteRequest,
  type DeleteResponse,
  type GetRequest,
  type ListRequest,
  type ListResponse,
  type Package,
  type Resource,
  type UpdateRequest,
} from "@fizz/proto";
import { FizzError, alreadyExists, invalid, notFound, silentLogger, type Logger } from "@fizz/common";
import { bind, type ServiceBinding } from "@fizz/rpc";
import { randomUUID } from "node:crypto";
import { KINDS, kindInfo, kindOf, label, metaOf, nsOr, type KindInfo } from "./kinds.js";
import { Mutex } from "./mutex.js";
import { WatchHub, type Change } from "./history.js";
import { checkReferences, functionsUsingPackage, refusedDelete, usersOf } from "./references.js";
import { validate } from "./validate.js";
import { watchStream } from "./watch.js";
import type { ExternalChange, ResourceStore } from "./store/store.js";

export class Admin {
  /** The last resource version issued. */
  version = 0;
  readonly lock = new Mutex();
  readonly hub: WatchHub;

  private constructor(
    readonly store: ResourceStore,
    loadedVersion: number,
    historySize: number,
    private readonly log: Logger,
  ) {
    this.version = loadedVersion;
    this.hub = new WatchHub(historySize, loadedVersion);
  }

  /** Loads the store and returns a ready service. */
  static async open(store: ResourceStore, historySize: number, log: Logger = silentLogger): Promise<Admin> {
    const { resourceVersion } = await store.load();
    const admin = new Admin(store, resourceVersion, historySize, log);
    store.onExternalChange?.((c) => admin.external(c));
    return admin;
  }

  binding(): ServiceBinding {
    return bind(AdminService, {
      create: (req) => this.create(req),
      get: (req) => this.get(req),
      list: (req) => this.list(req),
      update: (req) => this.update(req),
      delete: (req) => this.delete(req),
      watch: (req, ctx) => watchStream(this, req, ctx.signal),
    });
  }

  /** Ends every watch; writes already in progress still finish. */
  async close(): Promise<void> {
    this.hub.close();
    await this.lock.run(() => undefined);
  }

  async create(req: CreateRequest): Promise<Resource> {
    const r = prepare(req.resource);
    const info = kindOf(r);
    const meta = metaOf(r);
    validate(r);
    return this.lock.run(async () => {
      if (await this.store.get(info.kind, meta.namespace, meta.name))
        throw alreadyExists(`${label(info, meta.name)} already exists in namespace "${meta.namespace}"; update it or pick another name`);
      await checkReferences(this.store, r);
      Object.assign(meta, { uid: randomUUID(), creationTimestamp: new Date().toISOString(), generation: 1n });
      return this.commit(r, EventType.ADDED);
    });
  }

  async get(req: GetRequest): Promise<Resource> {
    const info = kindInfo(req.kind);
    if (!req.name) throw invalid(`${info.name} name is required`);
    return this.mustGet(info, nsOr(req.namespace), req.name);
  }

  async list(req: ListRequest): Promise<ListResponse> {
    const kinds = req.kind === Kind.UNSPECIFIED ? KINDS : [kindInfo(req.kind)];
    const want = Object.entries(req.labels);
    // Under the lock, so the version returned matches the items (no write half-way through).
    return this.lock.run(async () => {
      const items: Resource[] = [];
      for (const k of kinds)
        for (const r of await this.store.list(k.kind, req.namespace || undefined)) {
          const labels = metaOf(r).labels;
          if (want.every(([key, v]) => labels[key] === v)) items.push(r);
        }
      items.sort(byName);
      return create(ListResponseSchema, { items, resourceVersion: String(this.version) });
    });
  }

  async update(req: UpdateRequest): Promise<Resource> {
    const r = prepare(req.resource);
    const info = kindOf(r);
    const meta = metaOf(r);
    validate(r);
    return this.lock.run(async () => {
      const old = await this.mustGet(info, meta.namespace, meta.name);
      checkVersion(info, meta.name, meta.resourceVersion, metaOf(old).resourceVersion);
      await checkReferences(this.store, r);
      return this.replace(r, old);
    });
  }

  /**
   * A change made in the backend by someone else (kubectl on a CR): validated as an API write is
   * (shape only: kubectl applies a directory in any order, so references may come later), then
   * served with a new version, or rejected with the reason recorded on the object while the last
   * valid state stays served. A deletion cannot be refused: it is a DELETED event.
   */
  async external(c: ExternalChange): Promise<void> {
    const info = kindInfo(c.kind);
    const what = `${label(info, c.name)} in namespace "${c.namespace}"`;
    await this.lock.run(async () => {
      const old = await this.store.get(c.kind, c.namespace, c.name);
      if (c.type === "DELETED") {
        if (old) await this.remove(old, (version) => this.store.forget!(c.kind, c.namespace, c.name, version));
        return;
      }
      const reason = c.unreadable ?? whyInvalid(c.resource!);
      if (reason !== undefined) {
        // Seen again (our own annotation's echo, a restart): already recorded, already logged.
        if (reason === c.rejected) return;
        this.log.warn({ kind: info.name, namespace: c.namespace, name: c.name, reason }, `${what} was changed outside Fizz and is invalid: not served (${old ? "still serving the previous version" : "nothing served"})`);
        return this.store.reject!(c, reason);
      }
      const r = c.resource!;
      if (old) await this.replace(r, old, c.kubeVersion);
      else {
        const meta = metaOf(r);
        Object.assign(meta, { uid: meta.uid || randomUUID(), creationTimestamp: meta.creationTimestamp || new Date().toISOString(), generation: 1n });
        await this.commit(r, EventType.ADDED, c.kubeVersion);
      }
      this.log.info({ kind: info.name, namespace: c.namespace, name: c.name, version: this.version }, `${what} changed outside Fizz: serving it`);
    });
  }

  async delete(req: DeleteRequest): Promise<DeleteResponse> {
    const info = kindInfo(req.kind);
    if (!req.name) throw invalid(`${info.name} name is required`);
    const ns = nsOr(req.namespace);
    return this.lock.run(async () => {
      const old = await this.mustGet(info, ns, req.name);
      checkVersion(info, req.name, req.resourceVersion, metaOf(old).resourceVersion);
      const users = await usersOf(this.store, old);
      if (users.length) throw refusedDelete(old, users);
      const last = await this.remove(old, (version) => this.store.delete(info.kind, ns, req.name, version));
      return create(DeleteResponseSchema, { resource: last });
    });
  }

  /** `r` replacing the stored `old`: identity kept, generation bumped on a spec change. Callers hold the lock. */
  private async replace(r: Resource, old: Resource, kubeVersion?: string): Promise<Resource> {
    const oldMeta = metaOf(old);
    if (r.kind.case === "package" && old.kind.case === "package") resetBuildOnNewSource(r.kind.value, old.kind.value);
    // A canary's status is the canary service's record: an update without one (a spec apply,
    // an edited YAML document) keeps it.
    if (r.kind.case === "canaryConfig" && old.kind.case === "canaryConfig" && !r.kind.value.status) r.kind.value.status = old.kind.value.status;
    Object.assign(metaOf(r), {
      uid: oldMeta.uid,
      creationTimestamp: oldMeta.creationTimestamp,
      generation: oldMeta.generation + (sameSpec(r, old) ? 0n : 1n),
    });
    const updated = await this.commit(r, EventType.MODIFIED, kubeVersion);
    if (kindOf(r).kind === Kind.PACKAGE) await this.propagatePackage(updated);
    return updated;
  }

  /** Issues the deletion's version, removes and publishes; returns the last state. Callers hold the lock. */
  private async remove(old: Resource, drop: (version: number) => Promise<void>): Promise<Resource> {
    const version = ++this.version;
    // The DELETED event carries the last state, stamped with the deletion's version.
    const last = clone(ResourceSchema, old);
    metaOf(last).resourceVersion = String(version);
    await drop(version);
    this.publish({ type: EventType.DELETED, resource: last, version });
    return last;
  }

  /** Stamps a new version, stores and publishes. Callers hold the lock. */
  private async commit(r: Resource, type: Change["type"], kubeVersion?: string): Promise<Resource> {
    const version = ++this.version;
    metaOf(r).resourceVersion = String(version);
    // Not stored, not published: the version goes back, so a restart's view of versions agrees.
    await this.store.put(r, kubeVersion).catch((err: unknown) => {
      this.version--;
      throw err;
    });
    this.publish({ type, resource: r, version });
    return r;
  }

  private publish(c: Change): void {
    this.hub.publish(c);
    this.log.debug({ type: EventType[c.type], kind: kindOf(c.resource).name, name: metaOf(c.resource).name, version: c.version }, "change");
  }

  /** A package update is a change of every function using it, so watchers reload the code. */
  private async propagatePackage(pkg: Resource): Promise<void> {
    const { namespace, name, resourceVersion } = metaOf(pkg);
    for (const f of await functionsUsingPackage(this.store, namespace, name)) {
      const fn = clone(ResourceSchema, f);
      if (fn.kind.case !== "function") continue;
      fn.kind.value.spec!.package!.packageref!.resourceversion = resourceVersion;
      metaOf(fn).generation += 1n;
      await this.commit(fn, EventType.MODIFIED);
    }
  }

  private async mustGet(info: KindInfo, namespace: string, name: string): Promise<Resource> {
    const r = await this.store.get(info.kind, namespace, name);
    if (!r) throw notFound(`${label(info, name)} not found in namespace "${namespace}"`);
    return r;
  }
}

/** The request's resource with metadata present and the namespace defaulted. */
function prepare(r: Resource | undefined): Resource {
  const info = kindOf(r);
  const value = r!.kind.value!;
  const meta = (value.metadata ??= create(ObjectMetaSchema));
  if (!meta.name) throw invalid(`metadata.name is required for a ${info.name}`);
  meta.namespace = nsOr(meta.namespace);
  return r!;
}

/** validate()'s message for an invalid resource, undefined for a valid one (which it normalizes). */
function whyInvalid(r: Resource): string | undefined {
  try {
    validate(r);
    return undefined;
  } catch (err) {
    if (err instanceof FizzError && err.code === "INVALID_ARGUMENT") return err.message;
    throw err;
  }
}

function checkVersion(info: KindInfo, name: string, sent: string, stored: string): void {
  if (sent && sent !== stored)
    throw new FizzError(
      "ABORTED",
      `${label(info, name)} was changed by someone else (you sent resourceVersion ${sent}, it is now ${stored}); get it again, reapply your change and retry`,
      "CONFLICT",
    );
}

/** Spec equality (status and metadata excluded): only a spec change bumps the generation. */
function sameSpec(a: Resource, b: Resource): boolean {
  const strip = (r: Resource) => {
    const c = clone(ResourceSchema, r);
    c.kind.value!.metadata = undefined;
    if (c.kind.case === "package" || c.kind.case === "canaryConfig") c.kind.value.status = undefined;
    return c;
  };
  return equals(ResourceSchema, strip(a), strip(b));
}

function byName(a: Resource, b: Resource): number {
  const ka = `${kindOf(a).kind}/${metaOf(a).namespace}/${metaOf(a).name}`;
  const kb = `${kindOf(b).kind}/${metaOf(b).namespace}/${metaOf(b).name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * New source code has to be built again: when the source archive changes and the caller left
 * the build status as it was, it goes back to "pending" (a caller may still set it explicitly).
 */
function resetBuildOnNewSource(pkg: Package, old: Package): void {
  const src = pkg.spec?.source;
  const oldSrc = old.spec?.source;
  if (!src || (oldSrc && equals(ArchiveSchema, src, oldSrc))) return;
  if (pkg.status && pkg.status.buildstatus === (old.status?.buildstatus ?? "")) {
    pkg.status.buildstatus = "pending";
    pkg.status.buildlog = "";
  }
}
