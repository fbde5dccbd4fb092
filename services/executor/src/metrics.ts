// The executor's Prometheus metrics: cold starts and specialization time per environment, reaps,
// crashes (events from the pool manager), instances per environment and state (read from the pool
// manager at scrape time), plus gRPC calls by method and code (libs/rpc).
import { MetricsListener, type Counter, type Histogram } from "@fizz/common";
import type { Environment, Function as FnResource } from "@fizz/proto";

/** What the pool manager reports as it happens. Environment keys are "<namespace>/<name>". */
export interface PoolEvents {
  specialized(env: Environment, fn: FnResource, seconds: number): void;
  reaped(envKey: string): void;
  crashed(envKey: string): void;
}

/** The environment label: its name (keys are "<namespace>/<name>"). */
const envName = (key: string) => key.slice(key.indexOf("/") + 1);

// A cold start is warm-pool take + archive fetch + unpack + specialize: ms to tens of seconds.
const SPECIALIZE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class ExecutorMetrics implements PoolEvents {
  readonly listener: MetricsListener;
  private readonly coldStarts: Counter<"namespace" | "function" | "environment">;
  private readonly specialization: Histogram<"environment">;
  private readonly reaps: Counter<"environment">;
  private readonly crashes: Counter<"environment">;

  /** `instances` lists what the pool manager holds now (environment key and state of each). */
  constructor(address: string | undefined, instances: () => Iterable<{ environment: string; state: string }>) {
    this.listener = new MetricsListener("executor", address);
    const m = this.listener.metrics;
    this.coldStarts = m.counter("cold_starts_total", "Instances specialized for a function", ["namespace", "function", "environment"]);
    this.specialization = m.histogram("specialization_duration_seconds", "Cold start: take a warm instance, fetch and unpack the archive, specialize", ["environment"], SPECIALIZE_BUCKETS);
    this.reaps = m.counter("reaps_total", "Idle specialized instances stopped", ["environment"]);
    this.crashes = m.counter("crashes_total", "Instances that exited unexpectedly", ["environment"]);
    m.gauge("instances", "Runtime instances by environment and state (warm | specializing | specialized | stopping)", ["environment", "state"], (g) => {
      g.reset();
      for (const i of instances()) g.inc({ environment: envName(i.environment), state: i.state });
    });
  }

  specialized(env: Environment, fn: FnResource, seconds: number): void {
    const environment = env.metadata?.name ?? "";
    this.coldStarts.inc({ namespace: fn.metadata?.namespace || "default", function: fn.metadata?.name ?? "", environment });
    this.specialization.observe({ environment }, seconds);
  }

  reaped(envKey: string): void {
    this.reaps.inc({ environment: envName(envKey) });
  }

  crashed(envKey: string): void {
    this.crashes.inc({ environment: envName(envKey) });
  }
}
