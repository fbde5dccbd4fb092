// One TimeTrigger's schedule: sleep until the next time, record it in the fire log, then invoke.
// Times are computed strictly after max(now, last fired), so a time is never fired twice —
// not after a restart, nor when the clock steps back — and runs missed while the timer was
// down (or stalled) are skipped and logged, as Fission's timer does.
import { setTimeout as sleep } from "node:timers/promises";
import { functionPath, type Logger } from "@fizz/common";
import { countBetween, type Schedule } from "@fizz/cron";
import type { TimeTrigger } from "@fizz/proto";
import type { FireLog } from "./fire-log.js";
import type { Invoker, Outcome } from "./invoke.js";

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export interface RunnerDeps {
  fireLog: FireLog;
  invoker: Invoker;
  clock: Clock;
  log: Logger;
}

export interface RunnerStatus {
  next?: string;
  lastScheduled?: string;
  /** The last run's outcome (updated after every attempt). */
  lastResult?: Outcome & { scheduled: string };
  /** Runs skipped because they fell while the timer was down or stalled. */
  skipped: number;
  /** Runs started. */
  fired: number;
  /** Runs that failed after every attempt. */
  failed: number;
  /** Why the schedule stopped (the fire log could not be written). */
  error?: string;
}

/** Longest single sleep: setTimeout overflows past 2^31-1 ms (~24.8 days). */
const MAX_SLEEP_MS = 2 ** 31 - 1;

export class Runner {
  readonly status: RunnerStatus = { skipped: 0, fired: 0, failed: 0 };
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private loopDone: Promise<void> = Promise.resolve();

  constructor(
    /** The trigger as last seen; method, subpath and function changes apply from the next run. */
    public trigger: TimeTrigger,
    readonly schedule: Schedule,
    private readonly d: RunnerDeps,
  ) {}

  get uid(): string {
    return this.trigger.metadata!.uid;
  }

  start(): void {
    this.loopDone = this.loop().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.d.log.error({ err: (err as Error).message }, "timer schedule stopped");
    });
  }

  /** Stops scheduling and aborts runs in flight (their retries included). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
  }

  private async loop(): Promise<void> {
    const m = this.trigger.metadata!;
    const last = this.d.fireLog.lastFired(this.uid, this.schedule.expression);
    let from = this.skipMissed(last);
    for (;;) {
      const t = this.schedule.next(from);
      this.status.next = t.toISOString();
      // Sleep in chunks; check the clock again after each (a timer may fire a little early).
      for (let wait = t.getTime() - this.d.clock.now(); wait > 0; wait = t.getTime() - this.d.clock.now())
        await sleep(Math.min(wait, MAX_SLEEP_MS), undefined, { signal: this.abort.signal });
      try {
        await this.d.fireLog.record({ uid: this.uid, namespace: m.namespace, name: m.name, cron: this.schedule.expression, lastScheduled: t.toISOString() });
      } catch (err) {
        // Firing without a record could fire this time again after a restart: stop instead.
        this.status.error = `cannot record the run at ${t.toISOString()} in ${this.d.fireLog.dir}: ${(err as Error).message}`;
        this.status.next = undefined;
        this.d.log.error({ scheduled: t.toISOString(), err: (err as Error).message }, "cannot record a run; the schedule stops (fix the state dir and restart the timer)");
        return;
      }
      this.status.lastScheduled = t.toISOString();
      this.status.fired++;
      this.fire(t);
      from = this.skipMissed(t);
    }
  }

  /** max(now, last): where the next time is looked for; logs the runs that fall in between. */
  private skipMissed(last: Date | undefined): Date {
    const now = new Date(this.d.clock.now());
    if (!last) return now;
    if (last >= now) return last;
    const missed = countBetween(this.schedule, last, now);
    if (missed > 0) {
      this.status.skipped += missed;
      this.d.log.warn({ missed: missed >= 1000 ? "1000+" : missed, since: last.toISOString() }, "runs missed while the timer was down or busy are skipped");
    }
    return now;
  }

  private fire(t: Date): void {
    const s = this.trigger.spec!;
    const m = this.trigger.metadata!;
    const scheduled = t.toISOString();
    const run = this.d.invoker
      .run(
        {
          path: `${functionPath(m.namespace, s.functionref!.name)}${s.subpath === "/" ? "" : s.subpath}`,
          method: s.method || "POST",
          headers: {
            "x-fission-timer-name": m.name,
            "x-fizz-timer-name": m.name,
            "x-fizz-timer-namespace": m.namespace,
            "x-fizz-timer-scheduled-time": scheduled,
          },
          deadline: this.schedule.next(t).getTime(),
          now: () => this.d.clock.now(),
          signal: this.abort.signal,
        },
        (o) => {
          // An older run finishing late must not hide a newer one's result.
          if (!this.status.lastResult || this.status.lastResult.scheduled <= scheduled) this.status.lastResult = { ...o, scheduled };
        },
      )
      .then((o) => {
        if (o.ok) this.d.log.debug({ scheduled, attempts: o.attempts, status: o.status }, "run succeeded");
        else {
          this.status.failed++;
          this.d.log.warn({ scheduled, attempts: o.attempts, status: o.status, err: o.error }, "run failed");
        }
      })
      .catch(() => undefined) // aborted: the trigger was stopped
      .finally(() => this.inflight.delete(run));
    this.inflight.add(run);
  }
}
