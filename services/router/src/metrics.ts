// The router's Prometheus metrics. The hot path touches only plain numbers on the function's own
// FnMetrics (attached to its FnInfo when the route table is built): no prom-client label lookups,
// no allocation per request. prom-client reads them at scrape time (ServiceMetrics.scraped).
// The names and labels are a contract: the canary service and the Grafana dashboard read them.
import { DURATION_BUCKETS, ServiceMetrics, type Series } from "@fizz/common";
import type { FnInfo } from "./routes/types.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER"] as const;
const OTHER = METHODS.length - 1;
const METHOD_INDEX: Readonly<Record<string, number>> = Object.assign(Object.create(null), Object.fromEntries(METHODS.slice(0, OTHER).map((m, i) => [m, i])));
const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** Router work is sub-millisecond: finer buckets than the request duration's. */
export const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** nginx's "client closed request": the client left before any response was sent. */
export const CLIENT_CLOSED = 499;

/** A histogram as plain numbers: per-bucket (not cumulative) counts, the last one is +Inf. */
export class Buckets {
  readonly counts: Float64Array;
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
  }

  /** prom-client series (cumulative `le` buckets, _sum, _count) under `name`. */
  values(name: string, labels: Record<string, string>, out: Series[]): void {
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: i < this.bounds.length ? this.bounds[i]! : "+Inf" }, value: acc });
    }
    out.push({ metricName: `${name}_sum`, labels, value: this.sum });
    out.push({ metricName: `${name}_count`, labels, value: acc });
  }
}

/** One function's counters; `function=""` (namespace "") collects requests that matched no function. */
export class FnMetrics {
  inFlight = 0;
  coldStarts = 0;
  /** [method][code class] flattened. */
  readonly requests = new Float64Array(METHODS.length * CLASSES.length);
  /** HTTP status (≥ 500) → count. */
  readonly errors = new Map<number, number>();
  readonly duration = new Buckets(DURATION_BUCKETS);
  readonly overhead = new Buckets(OVERHEAD_BUCKETS);

  constructor(
    readonly namespace: string,
    readonly name: string,
  ) {}

  /** A finished request: its status, when it began (performance.now()) and the ms spent upstream. */
  done(method: string, status: number, began: number, upstreamMs: number): void {
    const ms = performance.now() - began;
    this.inFlight--;
    const cls = status >= 100 && status < 600 ? ((status / 100) | 0) - 1 : 4;
    this.requests[(METHOD_INDEX[method] ?? OTHER) * CLASSES.length + cls]!++;
    if (status >= 500) this.errors.set(status, (this.errors.get(status) ?? 0) + 1);
    this.duration.observe(ms / 1000);
    this.overhead.observe(Math.max(0, ms - upstreamMs) / 1000);
  }
}

/** Every function's FnMetrics, the recording counters, and their export to prom-client. */
export class RouterMetrics {
  readonly service = new ServiceMetrics("router");
  readonly unknown = new FnMetrics("", "");
  private readonly fns = new Map<string, FnMetrics>();

  constructor(recording: () => { shipped: number; droppedRecords: number }) {
    const p = this.service.prefix;
    const each = (fill: (f: FnMetrics, l: Record<string, string>, out: Series[]) => void) => () => {
      const out: Series[] = [];
      for (const f of this.all()) fill(f, { namespace: f.namespace, function: f.name }, out);
      return out;
    };
    this.service.scraped({
      name: `${p}requests_total`,
      help: "Requests that reached a function route, by the status class the client got (499: client left first)",
      type: "counter",
      values: each((f, l, out) => {
        for (let m = 0; m < METHODS.length; m++)
          for (let c = 0; c < CLASSES.length; c++) {
            const v = f.requests[m * CLASSES.length + c]!;
            if (v) out.push({ labels: { ...l, method: METHODS[m]!, code_class: CLASSES[c]! }, value: v });
          }
      }),
    });
    this.service.scraped({
      name: `${p}errors_total`,
      help: "Requests answered with a status >= 500 (504: the function timed out), by status",
      type: "counter",
      values: each((f, l, out) => {
        for (const [code, v] of f.errors) out.push({ labels: { ...l, code: String(code) }, value: v });
      }),
    });
    this.service.scraped({
      name: `${p}request_duration_seconds`,
      help: "Whole request, as the router saw it",
      type: "histogram",
      values: each((f, l, out) => f.duration.values(`${p}request_duration_seconds`, l, out)),
    });
    this.service.scraped({
      name: `${p}overhead_seconds`,
      help: "Time spent outside the function: route matching, executor lookups, proxying",
      type: "histogram",
      values: each((f, l, out) => f.overhead.values(`${p}overhead_seconds`, l, out)),
    });
    this.service.scraped({
      name: `${p}in_flight`,
      help: "Requests being served",
      type: "gauge",
      values: each((f, l, out) => out.push({ labels: l, value: f.inFlight })),
    });
    this.service.scraped({
      name: `${p}cold_starts_total`,
      help: "Executor lookups that specialized an instance for the function",
      type: "counter",
      values: each((f, l, out) => f !== this.unknown && out.push({ labels: l, value: f.coldStarts })),
    });
    const rec = (name: string, help: string, pick: (s: ReturnType<typeof recording>) => number) =>
      this.service.scraped({ name: p + name, help, type: "counter", values: () => [{ labels: {}, value: pick(recording()) }] });
    rec("records_shipped_total", "Recorded request/response pairs the recorder accepted", (s) => s.shipped);
    rec("records_dropped_total", "Recorded pairs dropped (buffer full, recorder slow or down)", (s) => s.droppedRecords);
  }

  /** The function's FnMetrics, created when it first enters the route table. */
  of(fn: Pick<FnInfo, "key" | "namespace" | "name">): FnMetrics {
    let f = this.fns.get(fn.key);
    if (!f) {
      f = new FnMetrics(fn.namespace, fn.name);
      this.fns.set(fn.key, f);
    }
    return f;
  }

  /** Forgets functions that left the route table (once their requests finished). */
  retain(keys: ReadonlyMap<string, unknown>): void {
    for (const [k, f] of this.fns) if (!keys.has(k) && f.inFlight <= 0) this.fns.delete(k);
  }

  private *all(): Iterable<FnMetrics> {
    yield* this.fns.values();
    yield this.unknown;
  }
}

