// Rollout behaviour over a real controller, executor and router (observations from the router's
// /metrics): windows without traffic, restarts mid-rollout, abort, delete, triggers a canary
// cannot move, and metrics that cannot be read.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { CANARY_ABORT_ANNOTATION, wrap } from "@fizz/clients";
import { CanaryConfigStatusSchema, CanaryStepSchema, Kind, type CanaryConfig } from "@fizz/proto";
import { actions, startCanaryPlatform, until, type CanaryPlatform } from "./__fixtures__/platform.js";

let p: CanaryPlatform;

beforeAll(async () => {
  p = await startCanaryPlatform();
  await p.deployFn("old", 200);
  await p.deployFn("new", 200);
}, 120_000);

afterAll(() => p?.close());

const spec = (trigger: string, more: Record<string, unknown> = {}) => ({ trigger, oldfunction: "old", newfunction: "new", weightincrement: 50, duration: "1s", failurethreshold: 10, ...more });
const has = (action: string, n = 1) => (c: CanaryConfig) => (c.status?.history.filter((h) => h.action === action).length ?? 0) >= n;
const gapsMs = (c: CanaryConfig) => c.status!.history.slice(1).map((h, i) => Date.parse(h.time) - Date.parse(c.status!.history[i]!.time));

describe("canary rollout", () => {
  it("waits (recorded in the history) while no request reaches the new function, then continues", async () => {
    const svc = await p.startCanary();
    await p.route("quiet", "/quiet", { type: "name", name: "old" });
    await p.createCanary("quiet", spec("quiet"));
    const waited = await p.waitCanary("quiet", "two waits", has("wait", 2));
    expect(actions(waited).slice(0, 4)).toEqual(["start:0", "advance:50", "wait:50", "wait:50"]);
    expect(waited.status!.history[2]).toMatchObject({ requests: 0n, failures: 0n, message: "no requests reached the new function in this window" });
    expect(waited.status?.status).toBe("pending");
    expect(await p.weights("quiet")).toEqual({ old: 50, new: 50 });
    const traffic = p.traffic("/quiet");
    const done = await p.waitCanary("quiet", "succeeded", (c) => c.status?.status === "succeeded");
    await traffic.stop();
    await svc.stop();
    expect(actions(done).at(-1)).toBe("succeeded:100");
    expect(actions(done).slice(2, -1).every((a) => a === "wait:50")).toBe(true);
  }, 60_000);

  it("continues after a restart mid-rollout without a second step for one interval", async () => {
    await p.route("restart", "/restart", { type: "name", name: "old" });
    const traffic = p.traffic("/restart");
    const first = await p.startCanary();
    await p.createCanary("restart", spec("restart", { weightincrement: 25, duration: "2s" }));
    await p.waitCanary("restart", "the first advance", has("advance"));
    await first.stop();
    const second = await p.startCanary();
    const done = await p.waitCanary("restart", "succeeded", (c) => c.status?.status === "succeeded");
    await traffic.stop();
    await second.stop();
    expect(actions(done)).toEqual(["start:0", "advance:25", "advance:50", "advance:75", "succeeded:100"]);
    // Every step at least one interval after the one before it, across the restart too.
    for (const gap of gapsMs(done)) expect(gap).toBeGreaterThanOrEqual(2000);
    expect(await p.weights("restart")).toEqual({ old: 0, new: 100 });
  }, 90_000);

  it("finishes a step that was recorded but not applied when the service stopped", async () => {
    await p.route("torn", "/torn", { type: "name", name: "old" });
    await p.createCanary("torn", spec("torn", { duration: "1h" }));
    // As if a service recorded "advance to 50" (status first) and died before moving the trigger.
    const c = await p.canary("torn");
    const at = new Date().toISOString();
    c.status = create(CanaryConfigStatusSchema, {
      status: "pending",
      lastStepTime: at,
      history: [create(CanaryStepSchema, { time: at, action: "start", newWeight: 0 }), create(CanaryStepSchema, { time: at, action: "advance", newWeight: 50 })],
    });
    await p.admin.update({ resource: wrap(c) });
    const svc = await p.startCanary();
    await until("trigger at 50/50", async () => (await p.weights("torn")).new === 50, 20_000);
    expect(await p.weights("torn")).toEqual({ old: 50, new: 50 });
    // No step is taken for it: the next one is an hour after the recorded one.
    expect(actions(await p.canary("torn"))).toEqual(["start:0", "advance:50"]);
    await svc.stop();
  }, 60_000);

  it("aborts on request, leaving the weights as they are", async () => {
    const svc = await p.startCanary();
    await p.route("abort", "/abort", { type: "name", name: "old" });
    await p.createCanary("abort", spec("abort", { duration: "1h" }));
    await p.waitCanary("abort", "started", has("start"));
    await until("weights set", async () => (await p.weights("abort")).old === 100, 10_000);
    const c = await p.canary("abort");
    c.metadata!.annotations[CANARY_ABORT_ANNOTATION] = "true";
    await p.admin.update({ resource: wrap(c) });
    const done = await p.waitCanary("abort", "aborted", (x) => x.status?.status === "aborted", 10_000);
    expect(actions(done)).toEqual(["start:0", "abort:0"]);
    expect(await p.weights("abort")).toEqual({ old: 100, new: 0 });
    await svc.stop();
  }, 60_000);

  it("stops when the config is deleted, leaving the trigger as it is", async () => {
    const svc = await p.startCanary();
    await p.route("gone", "/gone", { type: "name", name: "old" });
    await p.createCanary("gone", spec("gone", { duration: "1s" }));
    await p.waitCanary("gone", "an advance", has("advance"));
    await until("the advance applied", async () => (await p.weights("gone")).new === 50, 10_000);
    const before = await p.trigger("gone");
    await p.admin.delete({ kind: Kind.CANARY_CONFIG, name: "gone" });
    await until("rollout gone from /canaries", async () => {
      const body = (await (await fetch(`http://${svc.address}/canaries`)).json()) as { canaries: Array<{ name: string }> };
      return !body.canaries.some((x) => x.name === "gone");
    });
    // Two more intervals: nothing moves the trigger any more.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await p.trigger("gone")).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(await p.weights("gone")).toEqual({ old: 50, new: 50 });
    await svc.stop();
  }, 60_000);

  it("fails with a clear message when the trigger routes elsewhere, and leaves it alone", async () => {
    const svc = await p.startCanary();
    await p.route("third", "/third", { type: "function-weights", functionweights: { old: 50, new: 25, other: 25 } });
    await p.createCanary("third", spec("third"));
    const c = await p.waitCanary("third", "failed", (x) => x.status?.status === "failed");
    expect(actions(c)).toEqual(["invalid:0"]);
    expect(c.status!.history[0]!.message).toBe(
      'HTTPTrigger "third" splits traffic between "old", "new", "other": a canary needs it to route to "old" by name, or split by function-weights between "old" and "new" only',
    );
    expect(await p.weights("third")).toEqual({ old: 50, new: 25, other: 25 });
    await svc.stop();
  }, 60_000);

  it("waits for a trigger that does not exist yet, and starts when it appears", async () => {
    const svc = await p.startCanary();
    await p.createCanary("later", spec("later", { duration: "1h" }));
    const view = async () => ((await (await fetch(`http://${svc.address}/canaries`)).json()) as { canaries: Array<Record<string, unknown>> }).canaries.find((x) => x.name === "later");
    await until("waiting for trigger", async () => (await view())?.state === "waiting for trigger");
    expect((await view())?.error).toBe('HTTPTrigger "later" not found in namespace "default"');
    expect((await p.canary("later")).status).toBeUndefined();
    await p.route("later", "/later", { type: "name", name: "old" });
    await p.waitCanary("later", "started", has("start"), 10_000);
    await until("trigger weighted", async () => (await p.weights("later")).old === 100, 10_000);
    expect(await view()).toMatchObject({ state: "running", weight: 0, status: "pending", trigger: "later" });
    await svc.stop();
  }, 60_000);

  it("records an error step and moves nothing while the metrics cannot be read", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const svc = await p.startCanary({ FIZZ_PROMETHEUS_URL: url });
    await p.route("blind", "/blind", { type: "name", name: "old" });
    await p.createCanary("blind", spec("blind"));
    const c = await p.waitCanary("blind", "two errors", has("error", 2));
    expect(actions(c).slice(0, 3)).toEqual(["start:0", "error:0", "error:0"]);
    expect(c.status!.history[1]!.message).toBe(`cannot read Prometheus at ${url}: ECONNREFUSED`);
    expect(c.status?.status).toBe("pending");
    expect(await p.weights("blind")).toEqual({ old: 100, new: 0 });
    await svc.stop();
  }, 60_000);
});
