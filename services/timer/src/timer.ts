// Composition root: an Informer over TimeTriggers, one Runner per trigger, the fire log under
// $FIZZ_STATE_DIR/timer, and the HTTP endpoint (/healthz, /triggers).
import { join } from "node:path";
import { METRICS_PATH, ServiceMetrics, silentLogger, startStatusServer, type Logger, type Service, type StatusServer } from "@fizz/common";
import { adminClient, Informer, keyOf, nsOf, type AdminClient, type InformerEvent } from "@fizz/clients";
import { parseCron, TIME_ZONE } from "@fizz/cron";
import { Kind, type TimeTrigger } from "@fizz/proto";
import type { TimerConfig } from "./config.js";
import { FireLog } from "./fire-log.js";
import { Invoker } from "./invoke.js";
import { Runner, systemClock, type Clock, type RunnerStatus } from "./runner.js";

/** One trigger as GET /triggers shows it. */
export interface TriggerView extends Partial<RunnerStatus> {
  namespace: string;
  name: string;
  cron: string;
  function: string;
  method: string;
  subpath: string;
  /** Set when the trigger cannot be scheduled (a cron the controller would now reject). */
  error?: string;
}

export interface TimerOptions {
  /** The time source schedules are computed against (tests use a skewed one). */
  clock?: Clock;
}

export class Timer implements Service {
  private admin?: AdminClient;
  private informer?: Informer;
  private invoker?: Invoker;
  private fireLog?: FireLog;
  private server?: StatusServer;
  private readonly runners = new Map<string, Runner>();
  /** Triggers that cannot be scheduled, with the reason. */
  private readonly broken = new Map<string, { trigger: TimeTrigger; error: string }>();
  /** Watch events are applied one at a time: stopping a runner is asynchronous. */
  private changes: Promise<void> = Promise.resolve();
  private synced = false;
  private readonly clock: Clock;

  /** Per trigger (bounded by the TimeTriggers that exist): runs started, skipped, failed. */
  readonly metrics = timerMetrics(() => this.runners.values());

  constructor(
    readonly config: TimerConfig,
    private readonly log: Logger = silentLogger,
    opts: TimerOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const c = this.config;
    this.fireLog = new FireLog(join(c.stateDir, "timer"), this.log.child({ component: "fire-log" }));
    await this.fireLog.open();
    this.invoker = new Invoker(c.router, c.retry, c.invokeTimeoutMs);
    this.admin = adminClient(c.admin);
    this.informer = new Informer(this.admin, [Kind.TIME_TRIGGER], this.log.child({ component: "informer" }));
    this.informer.on("event", (ev) => this.enqueue(() => this.apply(ev)));
    this.server = await startStatusServer(c.address, {
      "/healthz": () => (this.synced ? { status: 200, body: { status: "ok" } } : { status: 503, body: { status: "syncing" } }),
      "/triggers": () => ({ status: 200, body: { timeZone: TIME_ZONE, now: new Date(this.clock.now()).toISOString(), triggers: this.views() } }),
      [METRICS_PATH]: this.metrics.route,
    });
    await this.informer.start();
    // State of triggers deleted while the timer was down.
    await this.enqueue(async () => {
      const live = new Set([...this.runners.values()].map((r) => r.uid));
      for (const uid of this.fireLog!.uids()) if (!live.has(uid)) await this.fireLog!.forget(uid);
    });
    this.synced = true;
    this.log.info({ address: this.server.address, router: c.router, triggers: this.runners.size, timeZone: TIME_ZONE }, "timer serving");
  }

  async stop(): Promise<void> {
    this.informer?.stop();
    await this.changes;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
    this.broken.clear();
    await this.server?.close();
    await this.invoker?.close();
    this.admin?.close();
    this.server = this.invoker = this.admin = this.informer = undefined;
    this.synced = false;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }

  views(): TriggerView[] {
    const out: TriggerView[] = [];
    for (const r of this.runners.values()) out.push({ ...viewOf(r.trigger), ...r.status });
    for (const b of this.broken.values()) out.push({ ...viewOf(b.trigger), error: b.error });
    return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  private enqueue(change: () => Promise<void>): Promise<void> {
    this.changes = this.changes.then(change).catch((err: unknown) => this.log.error({ err: (err as Error).message }, "applying a trigger change failed"));
    return this.changes;
  }

  private async apply(ev: InformerEvent): Promise<void> {
    if (ev.resource.kind.case !== "timeTrigger") return;
    const t = ev.resource.kind.value;
    const m = t.metadata!;
    const key = keyOf(m.namespace, m.name);
    const old = this.runners.get(key);
    const log = this.log.child({ trigger: key });
    if (ev.type === "deleted") {
      this.broken.delete(key);
      if (old) {
        this.runners.delete(key);
        await old.stop();
        await this.fireLog!.forget(old.uid);
        log.info("trigger deleted; schedule stopped");
      }
      return;
    }
    const cron = t.spec?.cron ?? "";
    // Same trigger, same schedule: the next run uses the new method, subpath or function.
    if (old && old.uid === m.uid && old.schedule.expression === cron) {
      old.trigger = t;
      return;
    }
    if (old) {
      this.runners.delete(key);
      await old.stop();
      if (old.uid !== m.uid) await this.fireLog!.forget(old.uid);
    }
    this.broken.delete(key);
    let schedule;
    try {
      schedule = parseCron(cron);
    } catch (err) {
      this.broken.set(key, { trigger: t, error: (err as Error).message });
      log.error({ err: (err as Error).message }, "trigger not scheduled");
      return;
    }
    const runner = new Runner(t, schedule, { fireLog: this.fireLog!, invoker: this.invoker!, clock: this.clock, log });
    this.runners.set(key, runner);
    runner.start();
    log.info({ cron, next: runner.status.next, rescheduled: !!old }, "trigger scheduled");
  }
}

function viewOf(t: TimeTrigger): Omit<TriggerView, keyof RunnerStatus> {
  const s = t.spec;
  return {
    namespace: t.metadata?.namespace ?? "",
    name: t.metadata?.name ?? "",
    cron: s?.cron ?? "",
    function: s?.functionref?.name ?? "",
    method: s?.method ?? "",
    subpath: s?.subpath ?? "",
  };
}

/** The timer's metrics, read from its runners' status at scrape time. */
function timerMetrics(runners: () => Iterable<Runner>): ServiceMetrics {
  const m = new ServiceMetrics("timer");
  const labels = (r: Runner) => ({ namespace: nsOf(r.trigger.metadata), trigger: r.trigger.metadata?.name ?? "" });
  m.perItem("fires_total", "Scheduled runs started", "counter", runners, labels, (r) => r.status.fired);
  m.perItem("skipped_total", "Scheduled runs skipped (the timer was down or stalled)", "counter", runners, labels, (r) => r.status.skipped);
  m.perItem("failures_total", "Scheduled runs that failed after every attempt", "counter", runners, labels, (r) => r.status.failed);
  return m;
}
