// The timer against a real controller, executor, router and function (see __fixtures__/platform.ts).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hitsOf, startTimerPlatform, until, viewOf, type Hit, type TimerPlatform } from "./__fixtures__/platform.js";

let p: TimerPlatform;

beforeAll(async () => {
  p = await startTimerPlatform();
  await p.deployReporter("report");
}, 60_000);

afterAll(async () => {
  await p?.close();
}, 30_000);

/** Scheduled times, sorted (runs are independent: a slow call may arrive after the next run's). */
const seconds = (hits: Hit[]) => hits.map((h) => h.scheduled).sort((a, b) => a - b);
const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
const fireLogFile = async (name: string) => {
  const { Kind } = await import("@fizz/proto");
  const r = await p.admin.get({ kind: Kind.TIME_TRIGGER, namespace: "default", name });
  return join(p.stateDir, "timer", `${r.kind.value!.metadata!.uid}.json`);
};
const exists = (path: string) => stat(path).then(() => true, () => false);

describe("timer", () => {
  it("fires @every 1s repeatedly with the trigger's headers, method and subpath, recording each time before invoking", async () => {
    const timer = await p.startTimer();
    await p.createTrigger("tick", { cron: "@every 1s", functionref: { type: "name", name: "report" }, method: "GET", subpath: "/jobs/tick" });
    const file = await fireLogFile("tick");
    // Inside the function's call: the fire log already holds this scheduled time (or a later one).
    const recordedFirst: boolean[] = [];
    p.onHit = (h) => {
      if (h.trigger !== "tick") return;
      const rec = JSON.parse(readFileSync(file, "utf8")) as { lastScheduled: string };
      recordedFirst.push(Date.parse(rec.lastScheduled) >= h.scheduled);
    };
    await until("4 runs", () => hitsOf(p, "tick").length >= 4, 20_000);
    const hits = hitsOf(p, "tick");
    expect(gaps(seconds(hits)).slice(0, 3)).toEqual([1000, 1000, 1000]);
    expect(hits.every((h) => h.scheduled % 1000 === 0)).toBe(true);
    expect(recordedFirst.every(Boolean)).toBe(true);
    const h = hits[0]!;
    expect(h.method).toBe("GET");
    expect(h.url).toBe("/jobs/tick");
    expect(h.headers).toMatchObject({ "x-fission-timer-name": "tick", "x-fizz-timer-name": "tick", "x-fizz-timer-namespace": "default", "x-fizz-timer-attempt": "1" });
    expect(h.headers["x-fizz-timer-scheduled-time"]).toBe(new Date(h.scheduled).toISOString());

    const view = await viewOf(timer, "tick");
    expect(view).toMatchObject({ cron: "@every 1s", function: "report", method: "GET", subpath: "/jobs/tick", skipped: 0 });
    expect(Date.parse(view!.next!)).toBeGreaterThan(Date.parse(view!.lastScheduled!));
    expect(view!.lastResult).toMatchObject({ ok: true, status: 200, attempts: 1 });
    const res = await fetch(`http://${timer.address}/triggers`);
    expect(((await res.json()) as { timeZone: string }).timeZone).toBe("UTC");
    expect((await fetch(`http://${timer.address}/healthz`)).status).toBe(200);

    // Delete stops it: nothing scheduled after the runner is gone, and its state goes too.
    await p.deleteTrigger("tick");
    await until("trigger gone from the timer", async () => (await viewOf(timer, "tick")) === undefined);
    const stoppedAt = Date.now();
    await until("state file removed", async () => !(await exists(file)));
    const n = hitsOf(p, "tick").length;
    await new Promise((r) => setTimeout(r, 2500)); // two and a half periods with no runs
    expect(hitsOf(p, "tick").slice(n).filter((x) => x.scheduled > stoppedAt)).toEqual([]);
    await timer.stop();
  }, 60_000);

  it("applies updates: a new cron reschedules, a new method or subpath applies from the next run", async () => {
    const timer = await p.startTimer();
    await p.createTrigger("upd", { cron: "@every 1s", functionref: { type: "name", name: "report" } });
    await until("first run", () => hitsOf(p, "upd").length >= 1, 20_000);
    expect(hitsOf(p, "upd")[0]).toMatchObject({ method: "POST", url: "/" });

    await p.updateTrigger("upd", (s) => {
      s.method = "PUT";
      s.subpath = "/v2";
    });
    await until("a run with the new method", () => hitsOf(p, "upd").some((h) => h.method === "PUT" && h.url === "/v2"), 20_000);
    expect((await viewOf(timer, "upd"))!.skipped).toBe(0);

    await p.updateTrigger("upd", (s) => {
      s.cron = "*/3 * * * * *";
    });
    await until("cron in the timer", async () => (await viewOf(timer, "upd"))?.cron === "*/3 * * * * *");
    // The old schedule was stopped before the new one started: every later time is a multiple of 3 s.
    const switched = Date.now();
    const later = () => hitsOf(p, "upd").filter((h) => h.scheduled > switched);
    await until("two runs on the new schedule", () => later().length >= 2, 20_000);
    expect(later().map((h) => new Date(h.scheduled).getUTCSeconds() % 3)).toEqual(later().map(() => 0));
    expect(gaps(seconds(later()))[0]).toBe(3000);
    await p.deleteTrigger("upd");
    await timer.stop();
  }, 60_000);

  it("retries a 5xx with backoff until it succeeds, and does not retry a 404", async () => {
    const timer = await p.startTimer({ FIZZ_TIMER_RETRY_BACKOFF_MS: "100" });
    let failures = 2;
    p.respond = (h) => (h.trigger === "flaky" && failures-- > 0 ? 500 : 200);
    await p.createTrigger("flaky", { cron: "@every 3s", functionref: { type: "name", name: "report" } });
    await until("a run that succeeded", async () => (await viewOf(timer, "flaky"))?.lastResult?.ok === true, 20_000);
    const first = hitsOf(p, "flaky").filter((h) => h.scheduled === hitsOf(p, "flaky")[0]!.scheduled);
    expect(first.map((h) => h.attempt)).toEqual([1, 2, 3]);
    expect((await viewOf(timer, "flaky"))!.lastResult).toMatchObject({ ok: true, status: 200, attempts: 3 });
    await p.deleteTrigger("flaky");
    p.respond = () => 200;

    // No such function: the router's 404 is final.
    await p.createTrigger("ghost", { cron: "@every 1s", functionref: { type: "name", name: "nope" } });
    await until("a failed run", async () => (await viewOf(timer, "ghost"))?.lastResult?.status === 404, 20_000);
    expect((await viewOf(timer, "ghost"))!.lastResult).toMatchObject({ ok: false, attempts: 1, status: 404 });
    await p.deleteTrigger("ghost");
    await timer.stop();
  }, 60_000);

  it("never fires a scheduled time twice across restarts, even when the clock steps back, and skips runs missed while down", async () => {
    await p.createTrigger("durable", { cron: "@every 1s", functionref: { type: "name", name: "report" } });
    const a = await p.startTimer();
    await until("two runs", () => hitsOf(p, "durable").length >= 2, 20_000);
    await a.stop();
    // The last time a recorded (a run aborted by the stop may or may not have reached the function).
    const recorded = async () => Date.parse(JSON.parse(await readFile(await fireLogFile("durable"), "utf8")).lastScheduled);
    const lastA = await recorded();
    expect(lastA).toBeGreaterThanOrEqual(Math.max(...seconds(hitsOf(p, "durable"))));
    // Down for a while: the runs in between are missed, not caught up.
    await until("two periods to pass", () => Date.now() >= lastA + 2500, 10_000);
    const beforeB = Date.now();
    const b = await p.startTimer();
    await until("runs after the restart", () => hitsOf(p, "durable").some((h) => h.scheduled > lastA), 20_000);
    expect((await viewOf(b, "durable"))!.skipped).toBeGreaterThanOrEqual(2);
    const firstB = Math.min(...seconds(hitsOf(p, "durable")).filter((s) => s > lastA));
    expect(firstB).toBeGreaterThan(beforeB);
    await until("two runs by b", () => seconds(hitsOf(p, "durable")).filter((s) => s > lastA).length >= 2, 20_000);
    await b.stop();
    const lastB = await recorded();

    // The clock now reads 4 s earlier (an NTP step, another host): times b already fired come
    // round again, and only the fire log keeps c from firing them a second time.
    const c = await p.startTimer({}, { clock: { now: () => Date.now() - 4000 } });
    await until("a run by c", () => hitsOf(p, "durable").some((h) => h.scheduled > lastB), 20_000);
    await c.stop();
    const all = hitsOf(p, "durable").map((h) => h.scheduled);
    expect(new Set(all).size).toBe(all.length);
    expect(await recorded()).toBeGreaterThanOrEqual(Math.max(...all));
    await p.deleteTrigger("durable");
  }, 90_000);

  it("does not fire a time it cannot record, and says why", async () => {
    await p.createTrigger("unwritable", { cron: "@every 1s", functionref: { type: "name", name: "report" } });
    // A directory where the state file goes: the atomic rename onto it fails.
    const file = await fireLogFile("unwritable");
    await mkdir(file, { recursive: true });
    await writeFile(join(file, "keep"), "x");
    const timer = await p.startTimer();
    const view = await until("the schedule to stop", async () => {
      const v = await viewOf(timer, "unwritable");
      return v?.error ? v : undefined;
    });
    expect(view.error).toMatch(/cannot record the run at .* in .*timer/);
    expect(view.fired).toBe(0);
    expect(view.next).toBeUndefined();
    expect(hitsOf(p, "unwritable")).toEqual([]);
    await p.deleteTrigger("unwritable");
    await timer.stop();
  }, 30_000);
});
