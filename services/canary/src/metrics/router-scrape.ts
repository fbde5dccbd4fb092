// Observations with no Prometheus: scrape every router's GET /metrics and diff the request
// counter against the previous accepted reading, per router (replicas are summed). A counter
// that went down means that router restarted: its current value is the increase (as
// Prometheus's increase() treats resets). Baselines live in memory: after a restart of the
// canary service the first window starts when the service starts again (see README).
import type { Observation } from "../decide.js";
import { parseMetrics, type Sample } from "@fizz/common";
import { FAILURE_CLASS, REQUESTS_METRIC, fetchText, type FunctionRef, type MetricsSource, type Reading } from "./source.js";

type Counts = Map<string, Observation>; // router URL → counters since that router started

export class RouterScrapeSource implements MetricsSource {
  readonly kind = "router";
  private readonly baselines = new Map<string, Counts>();

  constructor(
    readonly routers: readonly string[],
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async prime(key: string, fn: FunctionRef): Promise<number> {
    this.baselines.set(key, await this.scrape(fn));
    return this.now();
  }

  async read(key: string, fn: FunctionRef): Promise<Reading> {
    const cur = await this.scrape(fn);
    const base = this.baselines.get(key) ?? new Map<string, Observation>();
    const observed: Observation = { requests: 0, failures: 0 };
    for (const [router, c] of cur) {
      const b = base.get(router);
      const reset = !b || c.requests < b.requests || c.failures < b.failures;
      observed.requests += reset ? c.requests : c.requests - b.requests;
      observed.failures += reset ? c.failures : c.failures - b.failures;
    }
    return { observed, accept: () => void this.baselines.set(key, cur) };
  }

  forget(key: string): void {
    this.baselines.delete(key);
  }

  /** This function's counters on every router; any router failing fails the reading. */
  private async scrape(fn: FunctionRef): Promise<Counts> {
    const out: Counts = new Map();
    await Promise.all(
      this.routers.map(async (r) => {
        const text = await fetchText(`${r}/metrics`, this.timeoutMs, "the router's metrics");
        let samples;
        try {
          samples = parseMetrics(text).samples;
        } catch (err) {
          throw new Error(`the router's metrics at ${r}/metrics do not parse: ${(err as Error).message}`);
        }
        out.set(r, countsOf(samples, fn));
      }),
    );
    return out;
  }
}

/** Requests and 5xx answers of one function in one scrape. */
export function countsOf(samples: readonly Sample[], fn: FunctionRef): Observation {
  const c: Observation = { requests: 0, failures: 0 };
  for (const s of samples) {
    if (s.name !== REQUESTS_METRIC || s.labels.function !== fn.name || s.labels.namespace !== fn.namespace || !Number.isFinite(s.value)) continue;
    c.requests += s.value;
    if (s.labels.code_class === FAILURE_CLASS) c.failures += s.value;
  }
  return c;
}
