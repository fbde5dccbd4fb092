// Prometheus metrics, one mechanism for every service: a registry per service with prom-client's
// default process metrics under the service's prefix (fizz_<service>_process_cpu_seconds_total…),
// metric constructors that apply the prefix, and the /metrics reply. HTTP services serve it on
// their own port; gRPC-only services on a small listener (startMetricsServer).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { startStatusServer, type JsonReply, type StatusServer } from "./status-server.js";

export type { Counter, Gauge, Histogram } from "prom-client";

/** One series of a scraped metric; histograms name theirs (`<name>_bucket`, `_sum`, `_count`). */
export interface Series {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export const METRICS_PATH = "/metrics";

/** Seconds: from sub-millisecond router work to minute-long builds. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** One metric computed at scrape time from state the service keeps anyway (no per-event work). */
export interface ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  values(): Series[];
}

export class ServiceMetrics {
  readonly registry = new Registry();
  /** "fizz_<service>_" */
  readonly prefix: string;

  constructor(readonly service: string) {
    this.prefix = `fizz_${service}_`;
    collectDefaultMetrics({ register: this.registry, prefix: this.prefix });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name: this.prefix + name, help, labelNames, registers: [this.registry] });
  }

  /** `collect` runs at scrape time (set the gauge from live state there). */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (g: Gauge<L>) => void | Promise<void>): Gauge<L> {
    return new Gauge<L>({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect ? { collect(this: Gauge<L>) { return collect(this); } } : {}),
    });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets: readonly number[] = DURATION_BUCKETS): Histogram<L> {
    return new Histogram<L>({ name: this.prefix + name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }

  /**
   * gRPC calls served, by method and status name, and their duration: pass it as
   * startRpcServer's `onCall`. (Streams count when they end: a Watch's duration is its lifetime.)
   */
  rpcObserver(): (method: string, code: string, seconds: number) => void {
    const calls = this.counter("grpc_requests_total", "gRPC calls served, by method and status", ["method", "code"]);
    const took = this.histogram("grpc_request_duration_seconds", "gRPC call duration (streams: until they end)", ["method"]);
    return (method, code, seconds) => {
      calls.inc({ method, code });
      took.observe({ method }, seconds);
    };
  }

  /** Registers a metric whose series are computed at scrape time; `m.name` is used as given. */
  scraped(m: ScrapedMetric): void {
    this.registry.registerMetric({
      name: m.name,
      help: m.help,
      type: m.type,
      // What registry.metrics() reads of a metric (prom-client's own metrics have the same shape).
      get: async () => ({ name: m.name, help: m.help, type: m.type, aggregator: "sum", values: m.values() }),
    } as never);
  }

  /** One series per item of `items()` at scrape time (e.g. per trigger from the stats a service keeps). */
  perItem<T>(name: string, help: string, type: "counter" | "gauge", items: () => Iterable<T>, labels: (t: T) => Record<string, string>, value: (t: T) => number): void {
    this.scraped({ name: this.prefix + name, help, type, values: () => Array.from(items(), (t) => ({ labels: labels(t), value: value(t) })) });
  }

  /** The Prometheus text exposition of every metric. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** GET /metrics for libs/common's status server. */
  readonly route = async (): Promise<JsonReply> => {
    const { contentType, body } = await this.scrape();
    return { status: 200, contentType, body };
  };
}

/**
 * A gRPC-only service's metrics: the registry, the observer for startRpcServer's `onCall`, and
 * the HTTP listener on `address` (FIZZ_<SVC>_METRICS; none when undefined, i.e. FIZZ_METRICS=off).
 */
export class MetricsListener {
  readonly metrics: ServiceMetrics;
  readonly onCall: (method: string, code: string, seconds: number) => void;
  private server: StatusServer | undefined;

  constructor(
    service: string,
    private readonly listen: string | undefined,
  ) {
    this.metrics = new ServiceMetrics(service);
    this.onCall = this.metrics.rpcObserver();
  }

  async start(): Promise<void> {
    if (this.listen && !this.server) this.server = await startMetricsServer(this.listen, this.metrics);
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** host:port actually bound, while serving. */
  get address(): string | undefined {
    return this.server?.address;
  }
}

/** A gRPC service's metrics listener: GET /metrics and /healthz over HTTP. Port 0 picks a free port. */
export function startMetricsServer(address: string, metrics: ServiceMetrics): Promise<StatusServer> {
  return startStatusServer(address, { [METRICS_PATH]: metrics.route, "/healthz": () => ({ status: 200, body: { status: "ok" } }) });
}
