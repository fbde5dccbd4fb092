// One CanaryConfig's rollout. Every `duration` it reads the new function's requests and
// failures over the window, decides (decide.ts), records the step in the status — the commit
// point — and then moves the trigger's weights. The next step is due at last_step_time +
// duration, so a restarted service continues the schedule and never takes two steps for one
// interval; when it finds the trigger not matching the last recorded step (it stopped between
// the two writes) it finishes that step first.
import { parseDurationMs, type Logger } from "@fizz/common";
import type { AdminClient } from "@fizz/clients";
import type { CanaryConfig } from "@fizz/proto";
import { decide, fmt, type CanaryStatus } from "./decide.js";
import type { MetricsSource } from "./metrics/source.js";
import { abortRequested, appendStep, isFinal, lastWeight, readCanary, type StepRecord } from "./status.js";
import { readTrigger, setWeight, splitOf } from "./trigger.js";

export interface RolloutDeps {
  admin: AdminClient;
  source: MetricsSource;
  log: Logger;
  now: () => number;
  /** Pause after a failed attempt (controller or metrics unreachable), capped by the interval. */
  retryMs: number;
}

/** What GET /canaries shows for a rollout. */
export interface RolloutView {
  state: "running" | "waiting for trigger" | "done" | "stopped";
  nextStep?: string;
  error?: string;
}

const MAX_SLEEP_MS = 2 ** 31 - 1;

export class Rollout {
  readonly view: RolloutView = { state: "running" };
  private stopped = false;
  private wakeUp?: () => void;
  private done: Promise<void> = Promise.resolve();

  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
    private readonly d: RolloutDeps,
  ) {}

  get key(): string {
    return `${this.namespace}/${this.name}`;
  }

  start(): void {
    this.done = this.run().then(
      () => void (this.view.state = this.stopped ? "stopped" : "done"),
      (err: unknown) => {
        this.view.state = "stopped";
        this.view.error = (err as Error).message;
        this.d.log.error({ err: (err as Error).message }, "canary rollout stopped");
      },
    );
  }

  /** The config or its trigger changed: look again now instead of at the next step time. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
    this.d.source.forget(this.key);
  }

  private async run(): Promise<void> {
    let primedAt: number | undefined;
    while (!this.stopped) {
      try {
        const cfg = await readCanary(this.d.admin, this.namespace, this.name);
        if (!cfg || cfg.metadata?.uid !== this.uid) return;
        if (isFinal(cfg)) return void (await this.settle(cfg));
        if (abortRequested(cfg)) {
          await this.record(cfg, { action: "abort", newWeight: lastWeight(cfg), failurePercent: 0, message: "aborted on request; the trigger's weights are left as they are" }, "aborted");
          continue;
        }
        if (!cfg.status?.history.length) {
          await this.begin(cfg);
          continue;
        }
        if (primedAt === undefined) {
          // Resuming (or just begun): finish a step the last run recorded but did not apply.
          if (!(await this.settle(cfg))) continue;
          primedAt = await this.d.source.prime(this.key, { namespace: this.namespace, name: cfg.spec!.newfunction });
        }
        const interval = parseDurationMs(cfg.spec!.duration) ?? 120_000;
        // A source without history (the routers' counters) needs a whole window after priming.
        const due = Math.max(Date.parse(cfg.status.lastStepTime) + interval, this.d.source.kind === "router" ? primedAt + interval : 0);
        this.view.nextStep = new Date(due).toISOString();
        this.view.error = undefined;
        if (this.d.now() < due) {
          await this.sleep(due - this.d.now());
          continue; // read the config again: it may have changed or gone meanwhile
        }
        await this.step(cfg, interval);
      } catch (err) {
        this.view.error = (err as Error).message;
        this.d.log.warn({ err: (err as Error).message }, "canary step failed; retrying");
        await this.sleep(this.d.retryMs);
      }
    }
  }

  /** First sight: check the trigger, record the starting weights, make the trigger weighted. */
  private async begin(cfg: CanaryConfig): Promise<void> {
    const s = cfg.spec!;
    const t = await readTrigger(this.d.admin, this.namespace, s.trigger);
    if (!t) {
      // It may come later (a spec apply, a typo being fixed): its informer event wakes us.
      this.view.state = "waiting for trigger";
      this.view.error = `HTTPTrigger "${s.trigger}" not found in namespace "${this.namespace}"`;
      return this.sleep(MAX_SLEEP_MS);
    }
    this.view.state = "running";
    const split = splitOf(t, s);
    if (!split.ok) return void (await this.record(cfg, { action: "invalid", newWeight: 0, failurePercent: 0, message: split.why }, "failed"));
    const w = split.weight;
    const stored = await this.record(cfg, { action: "start", newWeight: w, failurePercent: 0, message: `"${s.oldfunction}" ${100 - w}%, "${s.newfunction}" ${w}%` }, "pending");
    if (stored) await this.apply(stored, w);
  }

  private async step(cfg: CanaryConfig, interval: number): Promise<void> {
    const s = cfg.spec!;
    const t = await readTrigger(this.d.admin, this.namespace, s.trigger);
    const split = t ? splitOf(t, s) : { ok: false as const, why: `HTTPTrigger "${s.trigger}" was deleted` };
    if (!split.ok) return void (await this.record(cfg, { action: "invalid", newWeight: lastWeight(cfg), failurePercent: 0, message: `${split.why}; the canary stops` }, "failed"));
    let reading;
    try {
      reading = await this.d.source.read(this.key, { namespace: this.namespace, name: s.newfunction }, interval);
    } catch (err) {
      // No observation, no move: record it (so `fizz canary get` says why) and try next interval.
      await this.record(cfg, { action: "error", newWeight: lastWeight(cfg), failurePercent: 0, message: (err as Error).message }, "pending");
      return;
    }
    const o = reading.observed;
    const d = decide({ weight: lastWeight(cfg), increment: s.weightincrement, threshold: s.failurethreshold, observed: o });
    const stored = await this.record(cfg, { action: d.action, newWeight: d.newWeight, requests: o.requests, failures: o.failures, failurePercent: d.failurePercent, message: d.message }, d.status);
    if (!stored) return;
    reading.accept();
    this.d.log.info({ action: d.action, weight: d.newWeight, requests: o.requests, failures: o.failures, failurePercent: fmt(d.failurePercent) }, "canary step");
    await this.apply(stored, d.newWeight);
  }

  private async record(cfg: CanaryConfig, step: StepRecord, status: CanaryStatus): Promise<CanaryConfig | undefined> {
    return appendStep(this.d.admin, cfg, new Date(this.d.now()), step, status);
  }

  /** Makes the trigger carry the last recorded weight; false when the trigger no longer can (the canary fails). */
  private async settle(cfg: CanaryConfig): Promise<boolean> {
    const last = cfg.status?.history.at(-1);
    if (!last || last.action === "invalid" || last.action === "abort") return true;
    const t = await readTrigger(this.d.admin, this.namespace, cfg.spec!.trigger);
    const split = t ? splitOf(t, cfg.spec!) : undefined;
    if (split?.ok && split.weighted && split.weight === last.newWeight) return true;
    return this.apply(cfg, last.newWeight);
  }

  private async apply(cfg: CanaryConfig, weight: number): Promise<boolean> {
    const why = await setWeight(this.d.admin, this.namespace, cfg.spec!, weight);
    if (!why) return true;
    if (!isFinal(cfg)) await this.record(cfg, { action: "invalid", newWeight: lastWeight(cfg), failurePercent: 0, message: `cannot set the weights: ${why}; the canary stops` }, "failed");
    else this.d.log.warn({ why }, "cannot set the final weights of a finished canary");
    return false;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.min(Math.max(0, ms), MAX_SLEEP_MS));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
