// Async invocations in this router's state dir (the default): the state of every unfinished one
// in memory and on disk, finished ones as summaries in memory (Retention) and in full on disk.
// Only this router sees them; a restart runs the unfinished ones again.
import type { Logger } from "@fizz/common";
import { isFinished, summaryOf, type Invocation, type InvocationSummary } from "./invocation.js";
import { matches, type InvocationQueue, type ListFilter } from "./queue.js";
import { Retention } from "./retention.js";
import { InvocationStore } from "./store.js";

export class FileQueue implements InvocationQueue {
  readonly store: InvocationStore;
  /** Unfinished invocations, in full; finished ones live in `retention` as summaries. */
  private readonly live = new Map<string, Invocation>();
  private readonly retention: Retention;
  private readonly ready: Invocation[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private queuedBytes = 0;
  private wake: () => void = () => undefined;

  constructor(
    o: { dir: string; retention: number; retentionMs: number },
    private readonly log: Logger,
  ) {
    this.store = new InvocationStore(o.dir, log);
    this.retention = new Retention(o.retention, o.retentionMs, (id) => this.store.remove(id), log);
  }

  async start(wake: () => void): Promise<void> {
    this.wake = wake;
    const loaded = await this.store.load();
    const finished = loaded.filter((inv) => isFinished(inv.status)).map(summaryOf);
    for (const s of finished.sort((a, b) => (a.finishedAt ?? "").localeCompare(b.finishedAt ?? ""))) this.retention.add(s);
    for (const inv of loaded) {
      if (isFinished(inv.status)) continue;
      this.track(inv);
      this.dueAt(inv, inv.nextAttemptAt ? Date.parse(inv.nextAttemptAt) : 0);
    }
    this.retention.start();
    if (this.live.size || this.retention.size) this.log.info({ unfinished: this.live.size, finished: this.retention.size }, "async invocations loaded");
  }

  async stop(): Promise<void> {
    this.retention.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  async usage() {
    return { unfinished: this.live.size, bytes: this.queuedBytes };
  }

  async add(inv: Invocation, body: Buffer): Promise<void> {
    try {
      if (body.length) await this.store.saveBody(inv.invocationId, body);
      await this.store.save(inv);
    } catch (err) {
      void this.store.remove(inv.invocationId).catch(() => undefined);
      throw err;
    }
    this.track(inv);
    this.ready.push(inv);
  }

  async claim(): Promise<Invocation | undefined> {
    return this.ready.shift();
  }

  body(inv: Invocation): Promise<Buffer> {
    return this.store.body(inv);
  }

  save(inv: Invocation): Promise<void> {
    return this.store.save(inv);
  }

  async retryAt(inv: Invocation, at: number): Promise<void> {
    // Scheduled before the write: memory stays right even when the disk is not.
    this.dueAt(inv, at);
    await this.store.save(inv);
  }

  async finish(inv: Invocation): Promise<void> {
    try {
      await this.store.save(inv);
    } finally {
      // In one synchronous step, so a reader sees it either running or finished and retained.
      const was = this.live.get(inv.invocationId);
      this.live.delete(inv.invocationId);
      this.queuedBytes -= was?.bodyBytes ?? 0;
      this.retention.add(summaryOf(inv));
      await this.store.dropBody(inv.invocationId).catch(() => undefined);
    }
  }

  async get(id: string): Promise<Invocation | undefined> {
    const live = this.live.get(id);
    if (live) return live;
    return this.retention.has(id) ? this.store.get(id) : undefined;
  }

  async list(filter: ListFilter): Promise<InvocationSummary[]> {
    const all = [...this.retention.summaries(), ...[...this.live.values()].map(summaryOf)];
    all.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return all.filter(matches(filter)).slice(0, filter.limit);
  }

  stats() {
    return { queued: this.ready.length, unfinished: this.live.size, finished: this.retention.size, queuedBytes: this.queuedBytes };
  }

  private track(inv: Invocation): void {
    this.live.set(inv.invocationId, inv);
    this.queuedBytes += inv.bodyBytes;
  }

  private dueAt(inv: Invocation, at: number): void {
    this.live.set(inv.invocationId, inv);
    const ms = at - Date.now();
    if (ms <= 0) {
      this.ready.push(inv);
      this.wake();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.ready.push(inv);
      this.wake();
    }, ms);
    this.timers.add(t);
  }
}
