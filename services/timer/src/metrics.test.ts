// The timer's /metrics after real runs through the router: one series per trigger, no raw paths.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { labelSets, parseMetrics, sampleValue } from "@fizz/common";
import { hitsOf, startTimerPlatform, until, type TimerPlatform } from "./__fixtures__/platform.js";

let p: TimerPlatform;

beforeAll(async () => {
  p = await startTimerPlatform();
  await p.deployReporter("report");
}, 60_000);

afterAll(async () => {
  await p?.close();
}, 30_000);

describe("timer /metrics", () => {
  it("counts fires and failures per trigger", async () => {
    const timer = await p.startTimer({ FIZZ_TIMER_RETRY_ATTEMPTS: "1" });
    await p.createTrigger("ok", { cron: "@every 1s", functionref: { type: "name", name: "report" }, subpath: "/secret/path" });
    await p.createTrigger("broken", { cron: "@every 1s", functionref: { type: "name", name: "missing" } });
    await until("2 runs", () => hitsOf(p, "ok").length >= 2, 20_000);
    const scrape = async () => parseMetrics(await (await fetch(`http://${timer.address}/metrics`)).text());
    let m = await scrape();
    await until("a failure", async () => sampleValue((m = await scrape()), "fizz_timer_failures_total", { trigger: "broken" }) >= 1, 20_000);
    expect(m.types.get("fizz_timer_fires_total")).toBe("counter");
    expect(m.types.get("fizz_timer_process_cpu_seconds_total")).toBe("counter");
    expect(labelSets(m, "fizz_timer_fires_total")).toEqual([["namespace", "trigger"]]);
    expect(sampleValue(m, "fizz_timer_fires_total", { namespace: "default", trigger: "ok" })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(m, "fizz_timer_failures_total", { trigger: "ok" })).toBe(0);
    expect(sampleValue(m, "fizz_timer_fires_total", { trigger: "broken" })).toBeGreaterThanOrEqual(1);
    for (const s of m.samples) for (const v of Object.values(s.labels)) expect(v).not.toContain("/secret");
  }, 60_000);
});
