import type { Logger } from "@fizz/common";
import type { ExecutorApi } from "./executor.js";

const LOG_EVERY_MS = 60_000;

/**
 * Keep-alive for instances without per-request RPC: addresses used since the last flush go to
 * the executor in one TapServices call per interval. Failures are logged at most once a minute
 * and never touch requests.
 */
export class Taps {
  private seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastLog = 0;

  constructor(
    private readonly executor: Pick<ExecutorApi, "tapServices">,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  add(address: string): void {
    this.seen.add(address);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async flush(): Promise<void> {
    if (!this.seen.size) return;
    const addresses = [...this.seen];
    this.seen = new Set();
    try {
      await this.executor.tapServices({ addresses }, { timeoutMs: Math.max(1000, this.intervalMs) });
    } catch (err) {
      const now = Date.now();
      if (now - this.lastLog < LOG_EVERY_MS) return;
      this.lastLog = now;
      this.log.warn({ err: (err as Error).message, addresses: addresses.length }, "tapServices failed");
    }
  }
}
