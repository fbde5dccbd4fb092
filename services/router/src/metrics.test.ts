// The router's /metrics after real traffic through a real controller and executor: the metric
// contract the canary service and the dashboard read (names, types, label sets, values).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Kind } from "@fizz/proto";
import { labelSets, parseMetrics, sampleValue, type ParsedMetrics } from "@fizz/common";
import { routerConfig } from "./config.js";
import { get as fetchFrom, startBackend, type Backend } from "./__fixtures__/platform.js";
import { Buckets } from "./metrics.js";

let backend: Backend;
let base: string;

const get = (path: string, init?: RequestInit) => fetchFrom(base, path, init);
const scrape = async (): Promise<ParsedMetrics> => {
  const r = await get("/metrics");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.text);
};
const echo = { namespace: "default", function: "echo" };

beforeAll(async () => {
  backend = await startBackend("fizz-router-metrics-");
  await backend.addFunction("echo");
  await backend.addFunction("slow", { functionTimeout: 1 });
  await backend.addTrigger("users", { relativeurl: "/users/{id}", functionref: { type: "name", name: "echo" } });
  base = (await backend.router()).url;
}, 60_000);

afterAll(async () => {
  await backend?.stop();
}, 30_000);

describe("router /metrics", () => {
  it("counts a 200, a 404 function, a 500 and a 504 under the contract's names and labels", async () => {
    expect((await get("/users/42")).status).toBe(200); // cold start
    expect((await get("/fizz-function/echo", { method: "POST", body: "x" })).status).toBe(200);
    expect((await get("/fizz-function/echo?status=500")).status).toBe(500);
    expect((await get("/fizz-function/nope/secret-path")).status).toBe(404);
    expect((await get("/no/such/route/12345")).status).toBe(404);
    expect((await get("/fizz-function/echo", { method: "PROPFIND" })).status).toBe(200);
    expect((await get("/fizz-function/slow?sleep=3000")).status).toBe(504);

    const m = await scrape();
    expect(Object.fromEntries([...m.types].filter(([k]) => !k.includes("process") && !k.includes("nodejs")))).toEqual({
      fizz_router_requests_total: "counter",
      fizz_router_errors_total: "counter",
      fizz_router_request_duration_seconds: "histogram",
      fizz_router_overhead_seconds: "histogram",
      fizz_router_in_flight: "gauge",
      fizz_router_cold_starts_total: "counter",
      fizz_router_records_shipped_total: "counter",
      fizz_router_records_dropped_total: "counter",
    });
    // Default process metrics carry the service prefix.
    expect(m.types.get("fizz_router_process_cpu_seconds_total")).toBe("counter");
    expect(m.types.get("fizz_router_nodejs_eventloop_lag_seconds")).toBe("gauge");

    expect(labelSets(m, "fizz_router_requests_total")).toEqual([["code_class", "function", "method", "namespace"]]);
    expect(labelSets(m, "fizz_router_errors_total")).toEqual([["code", "function", "namespace"]]);
    expect(labelSets(m, "fizz_router_request_duration_seconds_bucket")).toEqual([["function", "le", "namespace"]]);
    expect(labelSets(m, "fizz_router_overhead_seconds_count")).toEqual([["function", "namespace"]]);
    expect(labelSets(m, "fizz_router_in_flight")).toEqual([["function", "namespace"]]);

    const req = (l: Record<string, string>) => sampleValue(m, "fizz_router_requests_total", l);
    expect(req({ ...echo, method: "GET", code_class: "2xx" })).toBe(1);
    expect(req({ ...echo, method: "POST", code_class: "2xx" })).toBe(1);
    expect(req({ ...echo, method: "OTHER", code_class: "2xx" })).toBe(1);
    expect(req({ ...echo, method: "GET", code_class: "5xx" })).toBe(1);
    expect(req({ namespace: "default", function: "slow", code_class: "5xx" })).toBe(1);
    // Unknown functions and unrouted paths: one bounded series, no raw path anywhere.
    expect(req({ namespace: "", function: "", method: "GET", code_class: "4xx" })).toBe(2);
    for (const s of m.samples) for (const v of Object.values(s.labels)) expect(v).not.toMatch(/secret-path|12345|\/users/);

    const err = (l: Record<string, string>) => sampleValue(m, "fizz_router_errors_total", l);
    expect(err({ ...echo, code: "500" })).toBe(1);
    expect(err({ namespace: "default", function: "slow", code: "504" })).toBe(1);
    expect(err({ namespace: "", function: "" })).toBe(0);

    expect(sampleValue(m, "fizz_router_request_duration_seconds_count", echo)).toBe(4);
    expect(sampleValue(m, "fizz_router_request_duration_seconds_bucket", { ...echo, le: "+Inf" })).toBe(4);
    const slowSum = sampleValue(m, "fizz_router_request_duration_seconds_sum", { namespace: "default", function: "slow" });
    expect(slowSum).toBeGreaterThanOrEqual(0.9);
    // The 504's second was spent waiting on the function (upstream), not in the router; its
    // cold start (specialization) is router overhead, so it stays well under the total.
    expect(sampleValue(m, "fizz_router_overhead_seconds_sum", { namespace: "default", function: "slow" })).toBeLessThan(slowSum - 0.5);
    expect(sampleValue(m, "fizz_router_overhead_seconds_count", echo)).toBe(4);
    expect(sampleValue(m, "fizz_router_in_flight", echo)).toBe(0);
    expect(sampleValue(m, "fizz_router_cold_starts_total", echo)).toBe(1);
    expect(sampleValue(m, "fizz_router_cold_starts_total", { namespace: "default", function: "slow" })).toBe(1);
    expect(m.samples.some((s) => s.name === "fizz_router_records_dropped_total" && s.value === 0)).toBe(true);
  }, 60_000);

  it("shows a request in flight while the function runs", async () => {
    const pending = get("/fizz-function/echo?sleep=1500");
    let inFlight = 0;
    for (let i = 0; i < 100 && inFlight === 0; i++) {
      inFlight = sampleValue(await scrape(), "fizz_router_in_flight", echo);
      if (!inFlight) await new Promise((r) => setTimeout(r, 10));
    }
    expect(inFlight).toBe(1);
    expect((await pending).status).toBe(200);
    expect(sampleValue(await scrape(), "fizz_router_in_flight", echo)).toBe(0);
  }, 30_000);

  it("adds a function's series when it enters the route table and drops them when it is deleted", async () => {
    const has = async () => (await scrape()).samples.some((x) => x.name === "fizz_router_in_flight" && x.labels.function === "temp");
    const until = async (want: boolean) => {
      for (let i = 0; i < 250 && (await has()) !== want; i++) await new Promise((r) => setTimeout(r, 20));
      return has();
    };
    await backend.addFunction("temp");
    expect(await until(true)).toBe(true);
    await backend.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "temp" });
    expect(await until(false)).toBe(false);
  }, 30_000);

  it("FIZZ_METRICS=off serves no /metrics and counts nothing; a bad value is a clear error", async () => {
    const off = await backend.router({ FIZZ_METRICS: "off" });
    expect(off.metrics).toBeUndefined();
    expect((await fetchFrom(off.url, "/fizz-function/echo")).status).toBe(200);
    const r = await fetchFrom(off.url, "/metrics");
    expect(r.status).toBe(404);
    expect(() => routerConfig({ FIZZ_METRICS: "yes" })).toThrow(/FIZZ_METRICS: must be "on" or "off"/);
  }, 30_000);
});

describe("Buckets", () => {
  it("exports cumulative buckets with +Inf, sum and count", () => {
    const b = new Buckets([0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 2]) b.observe(v);
    const out: Array<{ metricName?: string; labels: Record<string, string | number>; value: number }> = [];
    b.values("x", { f: "a" }, out);
    expect(out).toEqual([
      { metricName: "x_bucket", labels: { f: "a", le: 0.1 }, value: 2 },
      { metricName: "x_bucket", labels: { f: "a", le: 1 }, value: 3 },
      { metricName: "x_bucket", labels: { f: "a", le: "+Inf" }, value: 4 },
      { metricName: "x_sum", labels: { f: "a" }, value: 2.65 },
      { metricName: "x_count", labels: { f: "a" }, value: 4 },
    ]);
  });
});
