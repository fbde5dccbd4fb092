import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { Kind, type Function as FnResource, type HTTPTrigger, type Recorder } from "@fizz/proto";
import { silentLogger, splitHostPort, type Logger, type Service } from "@fizz/common";
import {
  adminClient,
  executorClient,
  Informer,
  keyOf,
  metaOf,
  type AdminClient,
  type InformerEvent,
} from "@fizz/clients";
import type { RouterConfig } from "./config.js";
import type { ExecutorApi } from "./executor.js";
import { WarmCache } from "./cache/warm.js";
import { RouteTable, fnInfo } from "./routes/table.js";
import { Proxy } from "./proxy.js";
import { Taps } from "./taps.js";
import { buildServer } from "./server.js";
import { RecorderIndex } from "./recording/selector.js";
import { Shipper, type RecordSink, type ShipperOptions } from "./recording/shipper.js";
import { WorkerSink } from "./recording/worker-sink.js";
import { AsyncInvoker } from "./async/invoker.js";
import { SpanKind, withSpan } from "@fizz/telemetry";
import { RouterMetrics } from "./metrics.js";

const STOP_GRACE_MS = 5000;

export interface RouterDeps {
  /** Defaults to a client of config.admin. */
  admin?: AdminClient;
  /** Defaults to a client of config.executor. */
  executor?: ExecutorApi;
  /** Defaults to a client of config.recorder on a thread of its own (WorkerSink). */
  recorder?: RecordSink;
  /** Overrides of the shipper's buffer and batch settings (tests). */
  shipper?: Partial<ShipperOptions>;
}

/** Composition root: Informer → route table, warm cache + executor, undici proxy, fastify. */
export class Router implements Service {
  private readonly log: Logger;
  private readonly admin: AdminClient;
  private readonly executor: ExecutorApi;
  private readonly owned: Array<{ close(): void }> = [];
  private readonly informer: Informer;
  private readonly cache: WarmCache;
  private readonly taps: Taps;
  private readonly shipper: Shipper;
  private recorders = RecorderIndex.NONE;
  private readonly proxy: Proxy;
  private readonly invoker: AsyncInvoker;
  private readonly app: FastifyInstance;
  /** Undefined with FIZZ_METRICS=off. */
  readonly metrics: RouterMetrics | undefined;
  private table = RouteTable.empty();
  private synced = false;
  private rebuildQueued = false;
  private bound: string | undefined;

  constructor(
    private readonly config: RouterConfig,
    log: Logger = silentLogger,
    deps: RouterDeps = {},
  ) {
    this.log = log.child({ component: "router" });
    this.admin = deps.admin ?? this.own(adminClient(config.admin));
    this.executor = deps.executor ?? this.own(executorClient(config.executor));
    this.informer = new Informer(this.admin, [Kind.FUNCTION, Kind.HTTP_TRIGGER, Kind.RECORDER], this.log.child({ component: "informer" }));
    this.metrics = config.metrics ? new RouterMetrics(() => this.shipper.stats) : undefined;
    this.cache = new WarmCache((fn, busyAddresses) =>
      // A cache miss. Tracing on: a span the executor's spans join; off: a plain call.
      withSpan(
        "executor lookup",
        () =>
          this.executor.getServiceForFunction(
            { function: fn.ref, busyAddresses },
            // Specialization may fetch and unpack an archive; give it the function's own budget.
            { timeoutMs: fn.spec.specializationTimeoutMs + 5000 },
          ),
        { "fizz.function": fn.name, "fizz.namespace": fn.namespace },
        SpanKind.CLIENT,
      ).then((r) => {
        if (r.cold && this.metrics) this.metrics.of(fn).coldStarts++;
        return r;
      }),
    );
    this.taps = new Taps(this.executor, config.tapIntervalMs, this.log.child({ component: "taps" }));
    const recorder = deps.recorder ?? this.own(new WorkerSink(config.recorder, this.log.child({ component: "recording" }), config.recordNice));
    this.shipper = new Shipper(recorder, this.log.child({ component: "recording" }), {
      flushIntervalMs: config.recordFlushMs,
      ...deps.shipper,
    });
    this.proxy = new Proxy({
      table: () => this.table,
      cache: this.cache,
      executor: this.executor,
      taps: this.taps,
      maxBodyBytes: config.maxBodyBytes,
      retry: config.retry,
      log: this.log.child({ component: "proxy" }),
      recorders: () => this.recorders,
      shipper: this.shipper,
      metrics: this.metrics,
    });
    this.invoker = new AsyncInvoker({ ...config.async, maxBodyBytes: config.maxBodyBytes }, this.proxy, this.log.child({ component: "async" }));
    this.app = buildServer({
      proxy: this.proxy,
      invocations: this.invoker,
      maxBodyBytes: config.maxBodyBytes,
      ready: () => this.synced,
      debug: () => this.debug(),
      stats: () => this.stats(),
      metrics: this.metrics?.service,
    });
  }

  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.config.listen);
    await this.app.listen({ host, port });
    const a = this.app.server.address() as AddressInfo;
    this.bound = `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
    this.informer.on("event", (ev) => this.onEvent(ev));
    await this.informer.start();
    this.rebuild();
    this.synced = true;
    this.taps.start();
    this.shipper.start();
    // After the first sync, so re-run invocations see the real route table.
    await this.invoker.start();
    this.log.info({ address: this.bound, routes: this.table.routes.length }, "router serving");
  }

  async stop(): Promise<void> {
    this.taps.stop();
    this.informer.stop();
    // In-flight requests get a grace period, then their connections are cut.
    const cut = setTimeout(() => this.app.server.closeAllConnections(), STOP_GRACE_MS);
    await this.app.close();
    clearTimeout(cut);
    // Running attempts are interrupted and stored as queued: the next start runs them again.
    await this.invoker.stop();
    await this.shipper.stop();
    await this.proxy.close();
    for (const c of this.owned) c.close();
  }

  /** host:port actually bound. */
  get address(): string {
    if (!this.bound) throw new Error("router not started");
    return this.bound;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  private onEvent(ev: InformerEvent): void {
    if (ev.resource.kind.case === "function" && ev.type !== "added") {
      const m = metaOf(ev.resource);
      this.cache.drop(keyOf(m.namespace, m.name), ev.type === "modified" ? fnInfo(ev.resource.kind.value) : undefined);
    }
    // Bursts (a relist, `fizz apply` of a directory) compile once.
    if (this.rebuildQueued) return;
    this.rebuildQueued = true;
    setImmediate(() => {
      this.rebuildQueued = false;
      this.rebuild();
    });
  }

  private rebuild(): void {
    const fns: FnResource[] = [];
    for (const r of this.informer.list(Kind.FUNCTION)) if (r.kind.case === "function") fns.push(r.kind.value);
    const triggers: HTTPTrigger[] = [];
    for (const r of this.informer.list(Kind.HTTP_TRIGGER)) if (r.kind.case === "httpTrigger") triggers.push(r.kind.value);
    this.table = RouteTable.build(triggers, fns);
    if (this.metrics) {
      for (const f of this.table.functions.values()) f.metrics = this.metrics.of(f);
      this.metrics.retain(this.table.functions);
    }
    const recorders: Recorder[] = [];
    for (const r of this.informer.list(Kind.RECORDER)) if (r.kind.case === "recorder") recorders.push(r.kind.value);
    this.recorders = RecorderIndex.build(recorders);
  }

  /** Counters for /_fizz/stats. */
  stats() {
    return { ...this.shipper.snapshot(), async: this.invoker.stats() };
  }

  private debug() {
    return {
      functions: [...this.table.functions.values()].map((f) => ({ key: f.key, resourceVersion: f.resourceVersion, ...f.spec })),
      routes: this.table.routes.map((r) => ({
        trigger: r.trigger,
        kind: r.kind,
        path: r.path,
        host: r.host || undefined,
        methods: r.methods ? [...r.methods] : undefined,
        keepPrefix: r.keepPrefix || undefined,
        functions: r.target.slots.map((s) => `${s.namespace}/${s.name}${s.fn ? "" : " (missing)"}`),
      })),
      instances: this.cache.snapshot(),
    };
  }

  private own<T extends { close(): void }>(c: T): T {
    this.owned.push(c);
    return c;
  }
}
