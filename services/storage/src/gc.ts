// Archive garbage collection: an archive no Package references (source or deployment url
// storage://<id>) is removed once it is older than the grace period AND has not been seen
// referenced for that long. The view of Packages comes from an Informer; a pass runs only when
// that view is complete (synced) and the controller answers right now, so an outage or a
// half-loaded cache never deletes anything.
import { silentLogger, type Logger } from "@fizz/common";
import { Informer, storageIdOf, type AdminClient, type InformerEvent } from "@fizz/clients";
import { Kind, type Resource } from "@fizz/proto";
import type { ArchiveBackend, StoredArchive } from "./backend.js";

export interface GcOptions {
  /** How long an unreferenced archive is kept, from its creation and from its last reference. */
  graceMs: number;
  /** Time between passes; 0 means passes run only when asked (runOnce). */
  intervalMs: number;
  /** Clock, for tests. */
  now?: () => number;
}

export type ListableBackend = ArchiveBackend & { list(): Promise<StoredArchive[]> };

export const canList = (b: ArchiveBackend): b is ListableBackend => typeof b.list === "function";

/** Archive ids a Package points at. */
export function archiveRefs(r: Resource | undefined): string[] {
  if (r?.kind.case !== "package") return [];
  const spec = r.kind.value.spec;
  return [spec?.source?.url, spec?.deployment?.url].map((u) => (u ? storageIdOf(u) : undefined)).filter((id): id is string => !!id);
}

export class ArchiveGc {
  private readonly informer: Informer;
  /** Archive id → when a Package was last seen pointing at it. */
  private readonly lastReferenced = new Map<string, number>();
  private synced = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<string[]>;
  private readonly now: () => number;

  constructor(
    private readonly backend: ListableBackend,
    private readonly admin: AdminClient,
    private readonly opts: GcOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.now = opts.now ?? Date.now;
    this.informer = new Informer(admin, [Kind.PACKAGE], log.child({ component: "gc-informer" }));
    // A reference that goes away (package updated to a new archive, or deleted) restarts the grace.
    this.informer.on("event", (ev: InformerEvent) => this.seen([...archiveRefs(ev.old), ...archiveRefs(ev.resource)]));
  }

  /** Starts watching Packages and, with an interval, the periodic passes. Never waits for the controller. */
  start(): void {
    this.informer.start().then(
      () => {
        this.synced = true;
        this.log.info("package view synced; archive gc active");
      },
      () => {},
    );
    if (this.opts.intervalMs > 0) {
      this.timer = setInterval(() => void this.runOnce().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, "gc pass failed")), this.opts.intervalMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.informer.stop();
    await this.running?.catch(() => {});
  }

  /** Resolves once the Package view is complete (for tests and diagnostics). */
  ready(): Promise<void> {
    return this.informer.synced();
  }

  /** When a Package was last seen pointing at this archive (diagnostics, tests). */
  referencedAt(id: string): number | undefined {
    return this.lastReferenced.get(id);
  }

  private seen(ids: string[]): void {
    const t = this.now();
    for (const id of ids) this.lastReferenced.set(id, t);
  }

  /** One pass; returns the ids removed. Passes never overlap. */
  runOnce(): Promise<string[]> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<string[]> {
    if (!this.synced) {
      this.log.debug("package view not synced yet; skipping gc");
      return [];
    }
    // The cache survives a lost watch: ask the controller now, and add what it says to the cache's
    // view, so a pass never acts on a view the controller cannot confirm.
    let listed: Resource[];
    try {
      listed = (await this.admin.list({ kind: Kind.PACKAGE }, { timeoutMs: 10_000 })).items;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "controller unreachable; skipping gc");
      return [];
    }
    const referenced = new Set([...this.informer.list(Kind.PACKAGE), ...listed].flatMap(archiveRefs));
    this.seen([...referenced]);

    const archives = await this.backend.list();
    const now = this.now();
    const removed: string[] = [];
    for (const a of archives) {
      if (referenced.has(a.id)) continue;
      const created = Date.parse(a.created);
      // An unknown creation time counts as "just now": never a reason to delete.
      const since = Math.max(Number.isNaN(created) ? now : created, this.lastReferenced.get(a.id) ?? 0);
      if (now - since < this.opts.graceMs) continue;
      try {
        await this.backend.delete(a.id);
      } catch (err) {
        this.log.warn({ id: a.id, err: (err as Error).message }, "could not remove unreferenced archive");
        continue;
      }
      removed.push(a.id);
      this.lastReferenced.delete(a.id);
      this.log.info({ id: a.id, size: a.size, created: a.created }, "removed unreferenced archive");
    }
    // Forget references to archives that no longer exist.
    const present = new Set(archives.map((a) => a.id));
    for (const id of this.lastReferenced.keys()) if (!present.has(id) && !referenced.has(id)) this.lastReferenced.delete(id);
    return removed;
  }
}
