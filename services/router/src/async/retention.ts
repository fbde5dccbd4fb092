// Finished invocations: summaries in memory (lists need no disk reads), full state on disk, kept
// while there are at most `max` of them and none older than `maxAgeMs` since it finished.
import type { Logger } from "@fizz/common";
import type { InvocationSummary } from "./invocation.js";

export class Retention {
  /** In the order they finished, oldest first. */
  private readonly finished = new Map<string, InvocationSummary>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly max: number,
    private readonly maxAgeMs: number,
    private readonly remove: (id: string) => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.sweep();
    this.timer ??= setInterval(() => this.sweep(), Math.min(this.maxAgeMs, 60_000));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  add(s: InvocationSummary): void {
    this.finished.set(s.invocationId, s);
    for (const id of this.finished.keys()) {
      if (this.finished.size <= this.max) break;
      this.drop(id);
    }
  }

  has(id: string): boolean {
    return this.finished.has(id);
  }

  get size(): number {
    return this.finished.size;
  }

  summaries(): IterableIterator<InvocationSummary> {
    return this.finished.values();
  }

  /** Drops those finished longer than maxAgeMs ago (the oldest come first, so it stops early). */
  sweep(now = Date.now()): void {
    for (const [id, s] of this.finished) {
      if (now - Date.parse(s.finishedAt ?? "") <= this.maxAgeMs) break;
      this.drop(id);
    }
  }

  private drop(id: string): void {
    this.finished.delete(id);
    this.remove(id).catch((err: Error) => this.log.warn({ err: err.message, invocation: id }, "removing an expired invocation failed"));
  }
}
