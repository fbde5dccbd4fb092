import { EventEmitter } from "node:events";
import { EventType, type Kind, type Resource } from "@fizz/proto";
import { isFizzError, silentLogger, type Logger } from "@fizz/common";
import type { AdminClient } from "./admin.js";
import { kindOf, keyOf, metaOf, type KindInfo } from "./resources.js";

export interface InformerEvent {
  type: "added" | "modified" | "deleted";
  kind: KindInfo;
  resource: Resource;
  /** The previous state, for modified and deleted. */
  old?: Resource;
}

/**
 * A local cache of resources kept current by the controller's Watch stream: lists first, then
 * applies changes; reconnects with backoff and resumes from the last version seen; relists (and
 * emits deletes for what vanished meanwhile) when the controller says that version is too old.
 */
export class Informer extends EventEmitter<{ event: [InformerEvent]; synced: [] }> {
  private readonly store = new Map<Kind, Map<string, Resource>>();
  private lastVersion = "";
  private stopped = false;
  private abort = new AbortController();
  private syncedOnce = false;
  private syncWaiters: Array<() => void> = [];

  constructor(
    private readonly client: AdminClient,
    private readonly kinds: Kind[],
    private readonly log: Logger = silentLogger,
  ) {
    super();
    for (const k of kinds) this.store.set(k, new Map());
  }

  /** Starts watching; resolves once the initial state is loaded. */
  start(): Promise<void> {
    void this.loop();
    return this.synced();
  }

  synced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  list(kind: Kind): Resource[] {
    return [...(this.store.get(kind)?.values() ?? [])];
  }

  get(kind: Kind, namespace: string | undefined, name: string): Resource | undefined {
    return this.store.get(kind)?.get(keyOf(namespace, name));
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        await this.watchOnce();
        backoff = 100;
      } catch (err) {
        if (this.stopped) return;
        if (isFizzError(err, "OUT_OF_RANGE")) {
          this.log.info("watch version too old; relisting");
          this.lastVersion = "";
          continue;
        }
        this.log.warn({ err: (err as Error).message }, "watch interrupted; reconnecting");
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 2000);
    }
  }

  private async watchOnce(): Promise<void> {
    const relist = this.lastVersion === "";
    const listed = new Map<Kind, Map<string, Resource>>();
    this.abort = new AbortController();
    const stream = this.client.watch({ kinds: this.kinds, resourceVersion: this.lastVersion }, { signal: this.abort.signal });
    let listing = relist;
    for await (const ev of stream) {
      if (ev.resourceVersion) this.lastVersion = ev.resourceVersion;
      if (ev.type === EventType.SYNCED) {
        if (listing) this.replaceAll(listed);
        listing = false;
        this.markSynced();
        continue;
      }
      const r = ev.resource;
      if (!r?.kind.case) continue;
      if (listing) {
        const k = kindOf(r).kind;
        if (!listed.has(k)) listed.set(k, new Map());
        listed.get(k)!.set(keyOf(metaOf(r).namespace, metaOf(r).name), r);
        continue;
      }
      this.apply(ev.type === EventType.DELETED ? "deleted" : "upsert", r);
    }
    if (!relist) this.markSynced();
  }

  private markSynced() {
    if (this.syncedOnce) return;
    this.syncedOnce = true;
    for (const w of this.syncWaiters.splice(0)) w();
    this.emit("synced");
  }

  private apply(type: "deleted" | "upsert", r: Resource) {
    const info = kindOf(r);
    const m = this.store.get(info.kind);
    if (!m) return;
    const meta = metaOf(r);
    const key = keyOf(meta.namespace, meta.name);
    const old = m.get(key);
    if (type === "deleted") {
      if (!old) return;
      m.delete(key);
      this.emit("event", { type: "deleted", kind: info, resource: r, old });
      return;
    }
    if (old && metaOf(old).resourceVersion === meta.resourceVersion) return;
    m.set(key, r);
    this.emit("event", { type: old ? "modified" : "added", kind: info, resource: r, old });
  }

  private replaceAll(listed: Map<Kind, Map<string, Resource>>) {
    for (const [kind, current] of this.store) {
      const fresh = listed.get(kind) ?? new Map<string, Resource>();
      for (const [key, old] of [...current]) if (!fresh.has(key)) this.apply("deleted", old);
      for (const r of fresh.values()) this.apply("upsert", r);
    }
  }
}
