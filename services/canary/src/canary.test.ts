// The canary service against a real controller, executor and router, with the observations read
// from the router's /metrics (no Prometheus) and from a real Prometheus scraping that router.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { CanaryConfig } from "@fizz/proto";
import { actions, startCanaryPlatform, type CanaryPlatform } from "./__fixtures__/platform.js";
import { startPrometheus, type Prometheus } from "./__fixtures__/prometheus.js";

let p: CanaryPlatform;
let prom: Prometheus;

beforeAll(async () => {
  p = await startCanaryPlatform();
  const metrics = await fetch(`${p.router.url}/metrics`);
  if (!metrics.ok) throw new Error(`the router serves no /metrics (HTTP ${metrics.status}): the canary reads fizz_router_requests_total from it`);
  await p.deployFn("v1", 200);
  await p.deployFn("v2-ok", 200);
  await p.deployFn("v2-bad", 500);
  prom = await startPrometheus([p.router.url]);
  await prom.scraped();
}, 120_000);

afterAll(async () => {
  await prom?.close();
  await p?.close();
});

const final = (c: CanaryConfig) => ["succeeded", "failed", "aborted"].includes(c.status?.status ?? "");

describe.each([
  ["the router's /metrics (no Prometheus)", "router", "2s"],
  ["Prometheus", "prometheus", "3s"],
])("a canary reading %s", (_label, source, duration) => {
  const env = () => (source === "prometheus" ? { FIZZ_PROMETHEUS_URL: prom.url } : {});

  /** A canary from v1 to `newfunction` on its own route, with traffic until it finishes. */
  async function rollout(name: string, newfunction: string) {
    const svc = await p.startCanary(env());
    await p.route(name, `/${name}`, { type: "name", name: "v1" });
    const traffic = p.traffic(`/${name}`);
    await p.createCanary(name, { trigger: name, oldfunction: "v1", newfunction, weightincrement: 50, duration, failurethreshold: 10 });
    const c = await p.waitCanary(name, "a final status", final);
    await traffic.stop();
    await svc.stop();
    return { c, last: c.status!.history.at(-1)!, counts: traffic.counts, weights: await p.weights(name) };
  }

  it("takes a healthy new version to 100% and succeeded, recording every step", async () => {
    const { c, last, counts, weights } = await rollout(`ok-${source}`, "v2-ok");
    expect(c.status?.status).toBe("succeeded");
    expect(actions(c)).toEqual(["start:0", "advance:50", "succeeded:100"]);
    expect(last.requests).toBeGreaterThan(0n);
    expect(last.failures).toBe(0n);
    expect(last.failurePercent).toBe(0);
    expect(c.status!.lastStepTime).toBe(last.time);
    expect(weights).toEqual({ v1: 0, "v2-ok": 100 });
    // Both versions served while it ran.
    expect(counts["v2-ok"]?.[200]).toBeGreaterThan(0);
    expect(counts.v1?.[200]).toBeGreaterThan(0);
  }, 90_000);

  it("rolls a new version answering 500s back to 0% and failed", async () => {
    const { c, last, counts, weights } = await rollout(`bad-${source}`, "v2-bad");
    expect(c.status?.status).toBe("failed");
    expect(actions(c)).toEqual(["start:0", "advance:50", "rollback:0"]);
    expect(last.requests).toBeGreaterThan(0n);
    expect(last.failurePercent).toBeGreaterThan(10);
    expect(last.message).toMatch(/is above the threshold of 10%/);
    expect(weights).toEqual({ v1: 100, "v2-bad": 0 });
    expect(counts["v2-bad"]?.[500]).toBeGreaterThan(0);
  }, 90_000);
});
