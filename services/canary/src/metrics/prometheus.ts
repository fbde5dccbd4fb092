// Observations from Prometheus: increase() of the router's request counter over the window,
// summed over every router replica Prometheus scrapes, through GET /api/v1/query.
import { FAILURE_CLASS, REQUESTS_METRIC, fetchText, type FunctionRef, type MetricsSource, type Reading } from "./source.js";

interface QueryResponse {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: Array<{ value?: [number, string] }> };
}

/** A label value as PromQL reads it inside double quotes. */
const q = (v: string) => JSON.stringify(v);

export function requestsQuery(fn: FunctionRef, windowMs: number, failuresOnly = false): string {
  const labels = [`namespace=${q(fn.namespace)}`, `function=${q(fn.name)}`];
  if (failuresOnly) labels.push(`code_class=${q(FAILURE_CLASS)}`);
  return `sum(increase(${REQUESTS_METRIC}{${labels.join(",")}}[${Math.max(1, Math.round(windowMs))}ms]))`;
}

export class PrometheusSource implements MetricsSource {
  readonly kind = "prometheus";

  constructor(
    /** Base URL, e.g. http://prometheus:9090 */
    readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async prime(): Promise<number> {
    return 0;
  }

  async read(_key: string, fn: FunctionRef, windowMs: number): Promise<Reading> {
    const at = Date.now() / 1000;
    const [requests, failures] = await Promise.all([this.scalar(requestsQuery(fn, windowMs), at), this.scalar(requestsQuery(fn, windowMs, true), at)]);
    // increase() extrapolates to the window's edges, so counts come back fractional.
    return { observed: { requests: Math.round(requests), failures: Math.min(Math.round(failures), Math.round(requests)) }, accept: () => undefined };
  }

  forget(): void {}

  /** The single value of a sum() query; 0 when no series matched (no traffic yet). */
  async scalar(query: string, at: number): Promise<number> {
    const url = `${this.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${at}`;
    const text = await fetchText(url, this.timeoutMs, "Prometheus", this.url);
    let body: QueryResponse;
    try {
      body = JSON.parse(text) as QueryResponse;
    } catch {
      throw new Error(`Prometheus at ${this.url} answered something that is not JSON: ${text.slice(0, 120)}`);
    }
    if (body.status !== "success") throw new Error(`Prometheus query failed: ${body.error ?? text.slice(0, 200)}`);
    const result = body.data?.result ?? [];
    if (body.data?.resultType !== "vector") throw new Error(`Prometheus answered a ${body.data?.resultType ?? "missing"} result, expected a vector`);
    const v = Number(result[0]?.value?.[1] ?? 0);
    return Number.isFinite(v) ? v : 0;
  }
}
