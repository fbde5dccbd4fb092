// Composition root: an Informer over CanaryConfigs and HTTPTriggers, one Rollout per
// CanaryConfig, the metrics source (Prometheus when FIZZ_PROMETHEUS_URL is set, else the
// routers' /metrics), and the HTTP endpoint (/healthz, /canaries).
import { METRICS_PATH, ServiceMetrics, silentLogger, startStatusServer, type Logger, type Service, type StatusServer } from "@fizz/common";
import { adminClient, Informer, keyOf, type AdminClient, type InformerEvent } from "@fizz/clients";
import { Kind, type CanaryConfig } from "@fizz/proto";
import type { CanaryServiceConfig } from "./config.js";
import { PrometheusSource } from "./metrics/prometheus.js";
import { RouterScrapeSource } from "./metrics/router-scrape.js";
import type { MetricsSource } from "./metrics/source.js";
import { Rollout, type RolloutView } from "./rollout.js";
import { splitOf } from "./trigger.js";

/** One canary as GET /canaries shows it. */
export interface CanaryView extends Partial<RolloutView> {
  namespace: string;
  name: string;
  trigger: string;
  oldfunction: string;
  newfunction: string;
  status: string;
  /** The new function's weight on the trigger now (undefined when the trigger is missing or not a canary split). */
  weight?: number;
  lastStepTime: string;
}

export class CanaryService implements Service {
  /** The new function's weight per canary, read from the live views at scrape time. */
  readonly metrics = canaryMetrics(() => this.views());
  private admin?: AdminClient;
  private informer?: Informer;
  private server?: StatusServer;
  readonly source: MetricsSource;
  private readonly rollouts = new Map<string, Rollout>();
  private changes: Promise<void> = Promise.resolve();
  private synced = false;

  constructor(
    readonly config: CanaryServiceConfig,
    private readonly log: Logger = silentLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.source = config.prometheusUrl
      ? new PrometheusSource(config.prometheusUrl, config.metricsTimeoutMs)
      : new RouterScrapeSource(config.routers, config.metricsTimeoutMs, now);
  }

  async start(): Promise<void> {
    const c = this.config;
    this.admin = adminClient(c.admin);
    this.informer = new Informer(this.admin, [Kind.CANARY_CONFIG, Kind.HTTP_TRIGGER], this.log.child({ component: "informer" }));
    this.informer.on("event", (ev) => void this.enqueue(() => this.apply(ev)));
    this.server = await startStatusServer(c.address, {
      "/healthz": () => (this.synced ? { status: 200, body: { status: "ok" } } : { status: 503, body: { status: "syncing" } }),
      "/canaries": () => ({ status: 200, body: { source: this.sourceView(), canaries: this.views() } }),
      [METRICS_PATH]: this.metrics.route,
    });
    await this.informer.start();
    await this.changes;
    this.synced = true;
    this.log.info({ address: this.server.address, source: this.sourceView(), canaries: this.rollouts.size }, "canary serving");
  }

  async stop(): Promise<void> {
    this.informer?.stop();
    await this.changes;
    await Promise.all([...this.rollouts.values()].map((r) => r.stop()));
    this.rollouts.clear();
    await this.server?.close();
    this.admin?.close();
    this.server = this.admin = this.informer = undefined;
    this.synced = false;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }

  views(): CanaryView[] {
    const out: CanaryView[] = [];
    for (const r of this.informer?.list(Kind.CANARY_CONFIG) ?? []) {
      if (r.kind.case !== "canaryConfig") continue;
      const c = r.kind.value;
      const m = c.metadata!;
      const s = c.spec!;
      const t = this.informer!.get(Kind.HTTP_TRIGGER, m.namespace, s.trigger);
      const split = t?.kind.case === "httpTrigger" ? splitOf(t.kind.value, s) : undefined;
      out.push({
        namespace: m.namespace,
        name: m.name,
        trigger: s.trigger,
        oldfunction: s.oldfunction,
        newfunction: s.newfunction,
        status: c.status?.status || "pending",
        weight: split?.ok ? split.weight : undefined,
        lastStepTime: c.status?.lastStepTime ?? "",
        ...this.rollouts.get(keyOf(m.namespace, m.name))?.view,
      });
    }
    return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  private sourceView() {
    return this.config.prometheusUrl ? { kind: "prometheus", url: this.config.prometheusUrl } : { kind: "router", routers: this.config.routers };
  }

  private enqueue(change: () => Promise<void>): Promise<void> {
    this.changes = this.changes.then(change).catch((err: unknown) => this.log.error({ err: (err as Error).message }, "applying a canary change failed"));
    return this.changes;
  }

  private async apply(ev: InformerEvent): Promise<void> {
    if (ev.resource.kind.case === "httpTrigger") {
      // A rollout waiting for its trigger (or about to move it) looks again.
      const t = ev.resource.kind.value.metadata!;
      for (const r of this.rollouts.values()) if (r.namespace === t.namespace && this.triggerOf(r) === t.name) r.wake();
      return;
    }
    if (ev.resource.kind.case !== "canaryConfig") return;
    const c: CanaryConfig = ev.resource.kind.value;
    const m = c.metadata!;
    const key = keyOf(m.namespace, m.name);
    const old = this.rollouts.get(key);
    if (ev.type === "deleted" || (old && old.uid !== m.uid)) {
      if (old) {
        this.rollouts.delete(key);
        await old.stop();
        this.log.info({ canary: key }, "canary deleted; its trigger's weights stay as they are");
      }
      if (ev.type === "deleted") return;
    }
    const cur = this.rollouts.get(key);
    if (cur) return cur.wake();
    const r = new Rollout(m.namespace, m.name, m.uid, {
      admin: this.admin!,
      source: this.source,
      log: this.log.child({ canary: key }),
      now: this.now,
      retryMs: this.config.retryMs,
    });
    this.rollouts.set(key, r);
    r.start();
  }

  private triggerOf(r: Rollout): string | undefined {
    const c = this.informer?.get(Kind.CANARY_CONFIG, r.namespace, r.name);
    return c?.kind.case === "canaryConfig" ? c.kind.value.spec?.trigger : undefined;
  }
}

function canaryMetrics(views: () => Iterable<CanaryView>): ServiceMetrics {
  const m = new ServiceMetrics("canary");
  m.perItem(
    "new_function_weight",
    "Share of the trigger's traffic (percent) the canary's new function gets now",
    "gauge",
    () => [...views()].filter((v) => v.weight !== undefined),
    (v) => ({ namespace: v.namespace, canary: v.name, status: v.status }),
    (v) => v.weight!,
  );
  return m;
}
