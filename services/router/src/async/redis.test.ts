// Async invocations shared by two routers through one real redis-server: any replica accepts and
// answers, one runs each invocation, a dead replica's invocation is taken over once its lease
// expires, retention prunes Redis, and a Redis that is down or refuses a write loses nothing.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { mkdtempSync, writeFileSync } from "node:fs";
import { Redis } from "ioredis";
import { parseMetrics, sampleValue } from "@fizz/common";
import { eventually, get as fetchFrom, startBackend, type Backend, type Got } from "../__fixtures__/platform.js";
// The recorder's redis-server fixture, shared rather than copied.
import { startRedis, type RunningRedis } from "../../../recorder/src/store/__fixtures__/redis.js";
import type { InvocationView } from "./invocation.js";
import { crashedInvocation } from "./__fixtures__/crashed.js";

let backend: Backend;
let redis: RunningRedis;
let db = 0;

const ASYNC = { "x-fizz-invoke-mode": "async" };
const FAST = { FIZZ_ROUTER_ASYNC_BACKOFF_MS: "50", FIZZ_ROUTER_ASYNC_ATTEMPTS: "3", FIZZ_ROUTER_ASYNC_POLL_MS: "50" };

/** A Redis database of its own for each test (the key names are fixed). */
const freshDb = () => redis.url.replace(/\/0$/, `/${++db}`);
const routers = async (url: string, n: number, extra: Record<string, string> = {}) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await backend.router({ ...FAST, FIZZ_STATE_DIR: mkdtempSync(join(backend.dir, "r-")), FIZZ_ROUTER_ASYNC_REDIS_URL: url, ...extra }));
  return out;
};

async function invoke(at: string, path: string, init: RequestInit = {}): Promise<string> {
  const r = await fetchFrom(at, path, { ...init, headers: { ...ASYNC, ...(init.headers as Record<string, string>) } });
  expect(r.status).toBe(202);
  return r.json.invocationId as string;
}
const status = (at: string, id: string) => fetchFrom(at, `/fizz-invocations/${id}`) as Promise<Got & { json: InvocationView }>;
async function finished(at: string, id: string, ms = 20_000): Promise<InvocationView> {
  let view: InvocationView | undefined;
  await eventually(async () => {
    view = (await status(at, id)).json;
    return view.status === "succeeded" || view.status === "failed";
  }, ms);
  return view!;
}
const bodyOf = (v: InvocationView) => (JSON.parse(v.result!.body) as { body: string }).body;

beforeAll(async () => {
  redis = await startRedis();
  backend = await startBackend("fizz-router-async-redis-");
  await backend.addFunction("echo");
  await backend.addFunction("once");
}, 60_000);

afterAll(async () => {
  await backend?.stop();
  await redis?.stop();
}, 30_000);

describe("async invocations on a shared Redis", () => {
  it("accepts on one router and answers status and lists on the other", async () => {
    const [a, b] = await routers(freshDb(), 2);
    const id = await invoke(a!.url, "/fizz-function/echo?n=1", { method: "POST", body: "shared" });
    const view = await finished(b!.url, id);
    expect(view).toMatchObject({ invocationId: id, status: "succeeded", attempts: 1, function: "echo", bodyBytes: 6 });
    expect(bodyOf(view)).toBe("shared");
    const listed = (await fetchFrom(b!.url, "/fizz-invocations?function=echo")).json.invocations as Array<Record<string, unknown>>;
    expect(listed.map((s) => s.invocationId)).toContain(id);
    expect((await status(a!.url, id)).json).toEqual(view);
  });

  it("runs each invocation exactly once however many routers claim", async () => {
    const [a, b] = await routers(freshDb(), 2, { FIZZ_ROUTER_ASYNC_CONCURRENCY: "3" });
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => invoke(i % 2 ? a!.url : b!.url, `/fizz-function/once?sleep=50&i=${i}`, { method: "POST", body: `b${i}` })));
    const views = await Promise.all(ids.map((id, i) => finished(i % 2 ? b!.url : a!.url, id, 40_000)));
    views.forEach((v, i) => {
      expect(v.status).toBe("succeeded");
      // A second run would have added a second attempt to the history.
      expect(v.history).toHaveLength(1);
      expect(bodyOf(v)).toBe(`b${i}`);
    });
    // The function was called 20 times in all, by both routers.
    const calls = async (url: string) => sampleValue(parseMetrics((await fetchFrom(url, "/metrics")).text), "fizz_router_requests_total", { function: "once" });
    const [byA, byB] = [await calls(a!.url), await calls(b!.url)];
    expect(byA + byB).toBe(20);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    const list = (await fetchFrom(a!.url, "/fizz-invocations?limit=1000")).json.invocations as Array<Record<string, unknown>>;
    expect(list.map((s) => s.invocationId)).toEqual(expect.arrayContaining(ids));
  }, 60_000);

  it("hands a stopping router's running invocation to another at once", async () => {
    const url = freshDb();
    const [a] = await routers(url, 1);
    const gate = join(backend.dir, `gate-${db}`);
    const id = await invoke(a!.url, `/fizz-function/echo?gate=${gate}`, { method: "POST", body: "moved" });
    await eventually(async () => (await status(a!.url, id)).json.status === "running", 5000);
    await a!.stop();
    const [b] = await routers(url, 1);
    writeFileSync(gate, "");
    const view = await finished(b!.url, id);
    expect(view).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(view.history[0]).toMatchObject({ interrupted: true, error: "interrupted: the router stopped" });
    expect(bodyOf(view)).toBe("moved");
  });

  it("takes over an invocation whose router died mid-attempt once its lease expires", async () => {
    const url = freshDb();
    const r = new Redis(url);
    // What a router that died mid-attempt leaves, with a lease nobody renews.
    const id = "11111111-2222-3333-4444-555555555555";
    const now = Date.now();
    const inv = crashedInvocation(id, "/fizz-function/echo?n=crashed", 1, now);
    await r
      .multi()
      .set(`fizz:inv:state:${id}`, JSON.stringify(inv))
      .set(`fizz:inv:body:${id}`, "c")
      .zadd("fizz:inv:queue", now, id)
      .zadd("fizz:inv:created", now, id)
      .incrby("fizz:inv:bytes", 1)
      .set(`fizz:inv:lease:${id}`, "dead-router", "PX", 1500)
      .exec();
    const [b] = await routers(url, 1);
    // Not while the dead router's lease lasts.
    expect((await status(b!.url, id)).json.status).toBe("running");
    const view = await finished(b!.url, id);
    expect(Date.parse(view.history[1]!.startedAt) - now).toBeGreaterThanOrEqual(1400);
    expect(view).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(view.history[0]).toMatchObject({ interrupted: true });
    expect(bodyOf(view)).toBe("c");
    // Finished: the body and the lease are gone, the queue is empty.
    expect(await r.exists(`fizz:inv:body:${id}`, `fizz:inv:lease:${id}`)).toBe(0);
    expect(await r.zcard("fizz:inv:queue")).toBe(0);
    expect(await r.get("fizz:inv:bytes")).toBe("0");
    r.disconnect();
  });

  it("keeps only the configured number of finished invocations in Redis", async () => {
    const url = freshDb();
    const [a, b] = await routers(url, 2, { FIZZ_ROUTER_ASYNC_RETENTION: "2" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await invoke(a!.url, "/fizz-function/echo", { method: "POST", body: "x" }));
      await finished(b!.url, ids[i]!);
    }
    await eventually(async () => (await status(b!.url, ids[0]!)).status === 404, 5000);
    expect((await status(a!.url, ids[0]!)).json).toMatchObject({ code: "NOT_FOUND", reason: "INVOCATION_NOT_FOUND" });
    expect((await status(a!.url, ids[2]!)).json.status).toBe("succeeded");
    const r = new Redis(url);
    expect((await r.keys("fizz:inv:*")).sort()).toEqual(
      ["fizz:inv:bytes", "fizz:inv:created", "fizz:inv:finished", `fizz:inv:state:${ids[1]}`, `fizz:inv:state:${ids[2]}`].sort(),
    );
    expect((await r.zrange("fizz:inv:created", 0, -1)).sort()).toEqual([ids[1], ids[2]].sort());
    r.disconnect();
  });

  it("prunes finished invocations by age", async () => {
    const url = freshDb();
    const [a] = await routers(url, 1, { FIZZ_ROUTER_ASYNC_RETENTION_AGE: "300ms" });
    const id = await invoke(a!.url, "/fizz-function/echo");
    await finished(a!.url, id);
    // The sweep runs every retention age; a second finish prunes too.
    await eventually(async () => (await status(a!.url, id)).status === 404, 5000);
    const r = new Redis(url);
    expect(await r.zcard("fizz:inv:created")).toBe(0);
    r.disconnect();
  });

  it("answers 503 with a clear error when Redis is down, for accepts and reads", async () => {
    const gone = await startRedis();
    const [a] = await routers(gone.url, 1);
    await gone.stop();
    await eventually(async () => (await fetchFrom(a!.url, "/fizz-function/echo", { method: "POST", body: "x", headers: ASYNC })).status === 503, 5000);
    const res = await fetchFrom(a!.url, "/fizz-function/echo", { method: "POST", body: "x", headers: ASYNC });
    expect(res.json).toMatchObject({ code: "UNAVAILABLE" });
    expect(res.json.error).toMatch(/^could not store the invocation: redis at 127\.0\.0\.1:\d+ is unreachable/);
    const list = await fetchFrom(a!.url, "/fizz-invocations");
    expect(list.status).toBe(503);
    expect(list.json.error).toMatch(/^cannot read async invocations: redis at 127\.0\.0\.1:\d+ is unreachable/);
    expect((await fetchFrom(a!.url, "/fizz-function/echo")).status).toBe(200);
  });

  it("answers 503 and leaves nothing behind when Redis refuses part of the write", async () => {
    const url = freshDb();
    const [a] = await routers(url, 1);
    const r = new Redis(url);
    // A key of the wrong type makes one command of the MULTI fail inside EXEC.
    await r.set("fizz:inv:created", "not a sorted set");
    const res = await fetchFrom(a!.url, "/fizz-function/echo", { method: "POST", body: "lost?", headers: ASYNC });
    expect(res.status).toBe(503);
    expect(res.json.error).toMatch(/^could not store the invocation: redis refused the write: WRONGTYPE/);
    expect((await r.keys("fizz:inv:*")).sort()).toEqual(["fizz:inv:bytes", "fizz:inv:created"]);
    expect(await r.get("fizz:inv:bytes")).toBe("0");
    expect(await r.zcard("fizz:inv:queue")).toBe(0);
    r.disconnect();
  });

  it("bounds the shared queue across routers", async () => {
    const url = freshDb();
    const [a, b] = await routers(url, 2, { FIZZ_ROUTER_ASYNC_QUEUE: "2", FIZZ_ROUTER_ASYNC_CONCURRENCY: "1" });
    const gate = join(backend.dir, `gate-${db}`);
    const ids = [await invoke(a!.url, `/fizz-function/echo?gate=${gate}`), await invoke(b!.url, `/fizz-function/echo?gate=${gate}`)];
    const full = await fetchFrom(a!.url, "/fizz-function/echo", { headers: ASYNC });
    expect(full.status).toBe(503);
    expect(full.json).toMatchObject({ code: "RESOURCE_EXHAUSTED", reason: "ASYNC_QUEUE_FULL" });
    writeFileSync(gate, "");
    for (const id of ids) expect((await finished(b!.url, id)).status).toBe("succeeded");
    await invoke(b!.url, "/fizz-function/echo");
  });
});
