// Every service of `fizz up` serves Prometheus metrics: the HTTP ones on their own port, the gRPC
// ones on the listener `fizz up` records in up.json; after real traffic through the router.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labelSets, parseMetrics, sampleValue } from "@fizz/common";
import { fizzOk, newStateDir, REPO, startPlatform, type Platform } from "./platform.js";

const stateDir = newStateDir();
let p: Platform;

beforeAll(async () => {
  p = await startPlatform({ stateDir });
}, 120_000);

afterAll(async () => {
  await p?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("metrics on every service", () => {
  it("serves /metrics everywhere, with the router's counters after traffic", async () => {
    const code = join(stateDir, "m.js");
    writeFileSync(code, "module.exports = async (c) => ({ status: Number(c.request.query.s || 200), body: 'ok' });\n");
    await fizzOk(p, ["fn", "create", "--name", "m", "--env", "nodejs", "--code", code, "--url", "/m/{id}", "--method", "GET"]);
    expect((await fetch(`${p.routerUrl}/m/1`)).status).toBe(200);
    expect((await fetch(`${p.routerUrl}/m/2?s=503`)).status).toBe(503);

    const up = JSON.parse(readFileSync(join(stateDir, "up.json"), "utf8")) as { metrics: Record<string, string> };
    const families = new Set<string>();
    for (const svc of ["controller", "storage", "recorder", "builder", "executor", "router", "timer", "mqtrigger", "canary"]) {
      const res = await fetch(`http://${up.metrics[svc]}/metrics`);
      expect([svc, res.status]).toEqual([svc, 200]);
      const m = parseMetrics(await res.text());
      expect([svc, m.types.get(`fizz_${svc}_process_cpu_seconds_total`)]).toEqual([svc, "counter"]);
      for (const name of m.types.keys()) families.add(name);
    }
    // Every metric the Grafana dashboard queries is one a service serves.
    const dashboard = readFileSync(join(REPO, "deploy", "grafana", "fizz.json"), "utf8");
    const queried = new Set([...dashboard.matchAll(/fizz_\w+/g)].map((x) => x[0].replace(/_(bucket|sum|count)$/, "")));
    expect([...queried].filter((n) => !families.has(n))).toEqual([]);
    const router = parseMetrics(await (await fetch(`${p.routerUrl}/metrics`)).text());
    const fn = { namespace: "default", function: "m" };
    expect(sampleValue(router, "fizz_router_requests_total", { ...fn, method: "GET", code_class: "2xx" })).toBe(1);
    expect(sampleValue(router, "fizz_router_requests_total", { ...fn, code_class: "5xx" })).toBe(1);
    expect(sampleValue(router, "fizz_router_errors_total", { ...fn, code: "503" })).toBe(1);
    expect(labelSets(router, "fizz_router_request_duration_seconds_bucket")).toEqual([["function", "le", "namespace"]]);
    const executor = parseMetrics(await (await fetch(`http://${up.metrics.executor}/metrics`)).text());
    expect(sampleValue(executor, "fizz_executor_cold_starts_total", { ...fn, environment: "nodejs" })).toBe(1);
    const builder = parseMetrics(await (await fetch(`http://${up.metrics.builder}/metrics`)).text());
    expect(builder.types.get("fizz_builder_builds_total")).toBe("counter");
  }, 120_000);
});
