// Where a canary's observations come from: Prometheus (PromQL over its HTTP API) or, with no
// Prometheus configured, the routers' own /metrics scraped and diffed step to step. Both read
// the router's counter (the contract of issue 6 part 1):
//   fizz_router_requests_total{namespace, function, method, code_class}
// requests = every sample of the function; failures = those with code_class="5xx".
import type { Observation } from "../decide.js";

export const REQUESTS_METRIC = "fizz_router_requests_total";
export const FAILURE_CLASS = "5xx";

export interface FunctionRef {
  namespace: string;
  name: string;
}

/** One window's reading, kept by the source only once the step using it is committed. */
export interface Reading {
  observed: Observation;
  /** Makes this reading the start of the next window (no-op for Prometheus). */
  accept(): void;
}

export interface MetricsSource {
  readonly kind: "prometheus" | "router";
  /**
   * Starts measuring `fn` for the canary `key`; resolves to the earliest time (ms) a full window
   * can have been observed — now + nothing for Prometheus, which has the history already.
   */
  prime(key: string, fn: FunctionRef): Promise<number>;
  /** Requests and failures of `fn` over the `windowMs` ending now (router: since the last accepted reading). */
  read(key: string, fn: FunctionRef, windowMs: number): Promise<Reading>;
  forget(key: string): void;
}

/** fetch with a deadline, failing with a message that names `what` and where (`shown`, default the URL). */
export async function fetchText(url: string, timeoutMs: number, what: string, shown = url): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`cannot read ${what} at ${shown}: ${(err as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : reasonOf(err)}`);
  }
  const body = await res.text();
  if (!res.ok) throw new Error(`cannot read ${what} at ${shown}: HTTP ${res.status} ${body.slice(0, 200).trim()}`.trim());
  return body;
}

/** undici's "fetch failed" hides the reason (ECONNREFUSED, …) in its cause. */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
}
