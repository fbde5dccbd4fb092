// A keyed work queue: at most `limit` jobs at once, one job per key at a time. A key asked for
// while its job runs is run once more afterwards (the job re-reads what it works on).

export interface QueueSnapshot {
  running: Array<{ key: string; startedAt: string }>;
  queued: string[];
}

export class KeyedQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, { startedAt: Date; promise: Promise<void> }>();
  private readonly again = new Set<string>();
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly job: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  enqueue(key: string): void {
    if (this.closed) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push(key);
    this.pump();
  }

  has(key: string): boolean {
    return this.queued.has(key) || this.running.has(key);
  }

  snapshot(): QueueSnapshot {
    return {
      running: [...this.running].map(([key, r]) => ({ key, startedAt: r.startedAt.toISOString() })),
      queued: [...this.waiting],
    };
  }

  /** Stops taking work and waits for the running jobs (callers make them finish quickly). */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    this.queued.clear();
    await Promise.allSettled([...this.running.values()].map((r) => r.promise));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.limit && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      this.queued.delete(key);
      const promise = this.job(key)
        .catch((err: unknown) => this.onError(key, err))
        .finally(() => {
          this.running.delete(key);
          if (this.again.delete(key)) this.enqueue(key);
          this.pump();
        });
      this.running.set(key, { startedAt: new Date(), promise });
    }
  }
}
