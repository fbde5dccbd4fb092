// One scheduled run: invoke the function through the router's internal route, retrying with
// exponential backoff on 5xx, 429 and no answer — but never starting an attempt at or after the
// trigger's next scheduled time, so the retries of one run never overlap the next run.
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { withClientSpan } from "@fizz/telemetry";
import type { RetryPolicy } from "./config.js";

/** What the function (or the router) answered, or why nothing came back. */
export interface Outcome {
  /** When the last attempt finished (ISO). */
  at: string;
  attempts: number;
  /** HTTP status of the last attempt; 0 when no response came (unreachable, timeout). */
  status: number;
  ok: boolean;
  error?: string;
}

export interface RunRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  /** No attempt starts at or after this time (ms since the epoch): the next run is due. */
  deadline: number;
  now: () => number;
  signal: AbortSignal;
}

export const retryable = (status: number) => status === 0 || status === 429 || status >= 500;

export class Invoker {
  private readonly pool: Pool;

  constructor(
    routerUrl: string,
    private readonly retry: RetryPolicy,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool(routerUrl, { connections: 64 });
  }

  /** Runs the attempts of one scheduled run; resolves with the last outcome (rejects only when aborted). */
  async run(r: RunRequest, onAttempt?: (o: Outcome) => void): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      const { status, error, retryAfterMs } = await this.attempt(r, attempt);
      const ok = status >= 200 && status < 300;
      const outcome: Outcome = { at: new Date(r.now()).toISOString(), attempts: attempt, status, ok, ...(error ? { error } : {}) };
      onAttempt?.(outcome);
      if (ok || !retryable(status) || attempt >= this.retry.attempts) return outcome;
      const backoff = Math.max(Math.min(this.retry.backoffMs * 2 ** (attempt - 1), this.retry.maxBackoffMs), retryAfterMs);
      if (r.now() + backoff >= r.deadline) return { ...outcome, error: `${outcome.error}; no retry: the next run is due first` };
      await sleep(backoff, undefined, { signal: r.signal });
    }
  }

  private async attempt(r: RunRequest, attempt: number): Promise<{ status: number; error?: string; retryAfterMs: number }> {
    try {
      // Each attempt starts a trace (tracing on): the router's span becomes its child.
      const headers: Record<string, string> = { ...r.headers, "x-fizz-timer-attempt": String(attempt) };
      const call = () => this.pool.request({ path: r.path, method: r.method as "POST", headers, signal: r.signal, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
      const res = await withClientSpan(`timer ${r.method} ${r.path}`, headers, call, { "fizz.attempt": attempt });
      // The answer is only logged: keep a little of it to say why a run failed.
      const text = (await res.body.text()).slice(0, 200);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return {
        status: res.statusCode,
        ...(ok ? {} : { error: `HTTP ${res.statusCode}${text ? `: ${text.trim()}` : ""}` }),
        retryAfterMs: retryAfterMs(res.headers["retry-after"]),
      };
    } catch (err) {
      if (r.signal.aborted) throw err;
      return { status: 0, error: `router unreachable or no answer: ${(err as Error).message}`, retryAfterMs: 0 };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Retry-After in seconds (the HTTP-date form is rare from the router; ignored). */
function retryAfterMs(v: string | string[] | undefined): number {
  const s = Array.isArray(v) ? v[0] : v;
  return s && /^\d+$/.test(s.trim()) ? Number(s) * 1000 : 0;
}
