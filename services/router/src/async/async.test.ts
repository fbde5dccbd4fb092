// Async invocation through the real router, controller, executor and runtime processes.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "@fizz/common";
import type { Router } from "../router.js";
import { eventually, get as fetchFrom, startBackend, type Backend, type Got } from "../__fixtures__/platform.js";
import { InvocationStore } from "./store.js";
import type { InvocationView } from "./invocation.js";
import { crashedInvocation } from "./__fixtures__/crashed.js";

let backend: Backend;
let router: Router;
let base: string;

const ASYNC = { "x-fizz-invoke-mode": "async" };
const FAST = { FIZZ_ROUTER_MAX_BODY_BYTES: "1000", FIZZ_ROUTER_ASYNC_BACKOFF_MS: "50", FIZZ_ROUTER_ASYNC_ATTEMPTS: "3" };
const stateDir = () => mkdtempSync(join(backend.dir, "router-"));

/** Starts an async invocation and checks the 202. */
async function invoke(at: string, path: string, init: RequestInit = {}): Promise<string> {
  const r = await fetchFrom(at, path, { ...init, headers: { ...ASYNC, ...(init.headers as Record<string, string>) } });
  expect(r.status).toBe(202);
  const id = r.json.invocationId as string;
  expect(r.json).toEqual({ invocationId: id, status: "queued", statusUrl: `/fizz-invocations/${id}` });
  expect(r.headers.get("location")).toBe(`/fizz-invocations/${id}`);
  expect(r.headers.get("x-fizz-request-id")).toBeTruthy();
  return id;
}

const status = (at: string, id: string) => fetchFrom(at, `/fizz-invocations/${id}`) as Promise<Got & { json: InvocationView }>;

/** Polls until the invocation finished; returns its view and every status seen on the way. */
async function finished(at: string, id: string, ms = 20_000): Promise<{ view: InvocationView; seen: string[] }> {
  const seen: string[] = [];
  let view: InvocationView | undefined;
  await eventually(async () => {
    view = (await status(at, id)).json;
    if (seen[seen.length - 1] !== view.status) seen.push(view.status);
    return view.status === "succeeded" || view.status === "failed";
  }, ms);
  return { view: view!, seen };
}

const resultJson = (v: InvocationView) => JSON.parse(v.result!.body) as { url: string; method: string; body: string; headers: Record<string, string> };

beforeAll(async () => {
  backend = await startBackend("fizz-router-async-");
  await backend.addFunction("echo");
  await backend.addFunction("slow", { functionTimeout: 1 });
  await backend.addTrigger("users", { relativeurl: "/users/{id}", functionref: { type: "name", name: "echo" } });
  router = await backend.router({ ...FAST, FIZZ_STATE_DIR: stateDir() });
  base = router.url;
}, 60_000);

afterAll(async () => {
  await backend?.stop();
}, 30_000);

describe("async invocation", () => {
  it("answers 202 with an id at once and runs a slow function in the background: queued → running → succeeded", async () => {
    const t0 = Date.now();
    const id = await invoke(base, "/fizz-function/echo?sleep=2500", { method: "POST", body: "payload" });
    // Well before the function could have answered.
    expect(Date.now() - t0).toBeLessThan(2000);
    const { view, seen } = await finished(base, id);
    expect(seen).toContain("running");
    expect(seen[seen.length - 1]).toBe("succeeded");
    expect(view).toMatchObject({ invocationId: id, function: "echo", namespace: "default", method: "POST", attempts: 1, bodyBytes: 7 });
    expect(view.error).toBeUndefined();
    expect(Date.parse(view.finishedAt!) - Date.parse(view.startedAt!)).toBeGreaterThanOrEqual(2400);
    expect(view.result).toMatchObject({ statusCode: 200, bodyEncoding: "utf8", truncated: false });
    expect(view.result!.headers["content-type"]).toBe("application/json");
    const got = resultJson(view);
    expect(got.body).toBe("payload");
    expect(got.headers["x-fizz-invocation-id"]).toBe(id);
    expect(got.headers["x-fizz-invocation-attempt"]).toBe("1");
    expect(got.headers["x-fizz-request-id"]).toBe(`${id}.1`);
    expect(view.history).toHaveLength(1);
    expect(view.history[0]).toMatchObject({ attempt: 1, statusCode: 200, requestId: `${id}.1` });
  });

  it("takes the sync path: route params, function headers, query; the mode header is not forwarded", async () => {
    const id = await invoke(base, "/users/42?x=1", { method: "PUT", body: "b", headers: { "x-custom": "c" } });
    const { view } = await finished(base, id);
    expect(view.status).toBe("succeeded");
    const got = resultJson(view);
    expect(got).toMatchObject({ method: "PUT", url: "/users/42?x=1", body: "b" });
    expect(got.headers).toMatchObject({
      "x-fizz-params-id": "42",
      "x-fission-params-id": "42",
      "x-fizz-function-name": "echo",
      "x-custom": "c",
      "x-forwarded-for": "127.0.0.1",
    });
    expect(got.headers["x-fizz-invoke-mode"]).toBeUndefined();
  });

  it("retries a function that fails at first until it succeeds", async () => {
    const id = await invoke(base, "/fizz-function/echo?failbelow=3");
    const { view } = await finished(base, id);
    expect(view.status).toBe("succeeded");
    expect(view.attempts).toBe(3);
    expect(view.history.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(view.history[0]!.error).toBe("HTTP 500: attempt 1 fails");
    expect(view.error).toBeUndefined();
    // Backoff doubles: 50 ms, then 100 ms.
    expect(Date.parse(view.history[2]!.startedAt) - Date.parse(view.history[0]!.finishedAt!)).toBeGreaterThanOrEqual(150);
  });

  it("fails after the configured number of attempts, keeping the last response and error", async () => {
    const id = await invoke(base, "/fizz-function/echo?failbelow=99");
    const { view } = await finished(base, id);
    expect(view.status).toBe("failed");
    expect(view.attempts).toBe(3);
    expect(view.error).toBe("HTTP 500: attempt 3 fails");
    expect(view.result).toMatchObject({ statusCode: 500, body: "attempt 3 fails" });
  });

  it("retries timeouts (504) too", async () => {
    const id = await invoke(base, "/fizz-function/slow?sleep=3000");
    const { view } = await finished(base, id, 30_000);
    expect(view.status).toBe("failed");
    expect(view.attempts).toBe(3);
    expect(view.error).toBe("HTTP 504 DEADLINE_EXCEEDED: function slow did not respond within 1 s");
  });

  it("ends an unknown function or route failed with the router's 404 reason, without retrying", async () => {
    const ghost = await invoke(base, "/fizz-function/ghost");
    const { view } = await finished(base, ghost);
    expect(view).toMatchObject({ status: "failed", attempts: 1, function: "ghost", namespace: "default" });
    expect(view.error).toBe('HTTP 404 NOT_FOUND: function "ghost" not found in namespace "default"');
    const nowhere = await invoke(base, "/nothing/here", { method: "POST" });
    expect((await finished(base, nowhere)).view.error).toBe("HTTP 404 NOT_FOUND: no route for POST /nothing/here");
  });

  it("answers 413 at once for an oversized body, by Content-Length and chunked, and stores nothing", async () => {
    const before = (await fetchFrom(base, "/fizz-invocations?limit=1000")).json.invocations as unknown[];
    const big = await fetchFrom(base, "/fizz-function/echo", { method: "POST", body: "x".repeat(2000), headers: ASYNC });
    expect(big.status).toBe(413);
    expect(big.json.code).toBe("PAYLOAD_TOO_LARGE");
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/fizz-function/echo`, { method: "POST", agent: false, headers: ASYNC }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write("a".repeat(800));
      req.end("b".repeat(800));
    });
    expect(chunked).toBe(413);
    const after = (await fetchFrom(base, "/fizz-invocations?limit=1000")).json.invocations as unknown[];
    expect(after).toHaveLength(before.length);
  });

  it("leaves sync requests alone; an unknown mode is a 400", async () => {
    const plain = await fetchFrom(base, "/fizz-function/echo", { method: "POST", body: "s" });
    expect(plain.status).toBe(200);
    expect(plain.json.body).toBe("s");
    const sync = await fetchFrom(base, "/fizz-function/echo", { headers: { "x-fizz-invoke-mode": "sync" } });
    expect(sync.status).toBe(200);
    const bad = await fetchFrom(base, "/fizz-function/echo", { headers: { "x-fizz-invoke-mode": "later" } });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ code: "INVALID_ARGUMENT", error: 'X-Fizz-Invoke-Mode must be "async" or "sync", not "later"' });
  });

  it("answers 404 with a stable reason for an unknown id, and lists newest first with filters", async () => {
    const unknown = await fetchFrom(base, "/fizz-invocations/00000000-0000-0000-0000-000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: "NOT_FOUND", reason: "INVOCATION_NOT_FOUND" });
    expect((await fetchFrom(base, "/fizz-invocations/../../etc/passwd")).status).toBe(404);
    const a = await invoke(base, "/fizz-function/echo?n=a");
    const b = await invoke(base, "/fizz-function/echo?n=b");
    await finished(base, a);
    await finished(base, b);
    const list = (await fetchFrom(base, "/fizz-invocations?function=echo&namespace=default&limit=2")).json.invocations as Array<Record<string, unknown>>;
    expect(list.map((s) => s.invocationId)).toEqual([b, a]);
    expect(list[0]).toMatchObject({ status: "succeeded", function: "echo", method: "GET", url: "/fizz-function/echo?n=b", attempts: 1, statusCode: 200 });
    expect(list[0]!.result).toBeUndefined();
    const failed = (await fetchFrom(base, "/fizz-invocations?status=failed")).json.invocations as Array<Record<string, unknown>>;
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((s) => s.status === "failed")).toBe(true);
    expect((await fetchFrom(base, "/fizz-invocations?function=nobody")).json.invocations).toEqual([]);
    const bad = await fetchFrom(base, "/fizz-invocations?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('limit must be a whole number from 1 to 1000, not "0"');
    expect((await fetchFrom(base, "/fizz-invocations?status=done")).status).toBe(400);
  });

  it("answers 503 when the queue is full, and accepts again once it drains", async () => {
    const dir = stateDir();
    const r = await backend.router({ ...FAST, FIZZ_STATE_DIR: dir, FIZZ_ROUTER_ASYNC_QUEUE: "2", FIZZ_ROUTER_ASYNC_CONCURRENCY: "1" });
    const gate = join(dir, "gate");
    const ids = [await invoke(r.url, `/fizz-function/echo?gate=${gate}`), await invoke(r.url, `/fizz-function/echo?gate=${gate}`)];
    const full = await fetchFrom(r.url, "/fizz-function/echo", { headers: ASYNC });
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("1");
    expect(full.json).toMatchObject({ code: "RESOURCE_EXHAUSTED", reason: "ASYNC_QUEUE_FULL" });
    expect(full.json.error).toMatch(/^async invocation queue is full \(at most 2 invocations/);
    writeFileSync(gate, "");
    for (const id of ids) expect((await finished(r.url, id)).view.status).toBe("succeeded");
    await invoke(r.url, "/fizz-function/echo");
  });

  it("bounds the queue's request bytes too", async () => {
    const r = await backend.router({ ...FAST, FIZZ_STATE_DIR: stateDir(), FIZZ_ROUTER_ASYNC_QUEUE_BYTES: "10" });
    const over = await fetchFrom(r.url, "/fizz-function/echo", { method: "POST", body: "x".repeat(11), headers: ASYNC });
    expect(over.status).toBe(503);
    expect(over.json.reason).toBe("ASYNC_QUEUE_FULL");
    await invoke(r.url, "/fizz-function/echo", { method: "POST", body: "x".repeat(10) });
  });

  it("keeps at most FIZZ_ROUTER_ASYNC_RESULT_BYTES of the response, and binary bodies as base64", async () => {
    const r = await backend.router({ ...FAST, FIZZ_STATE_DIR: stateDir(), FIZZ_ROUTER_ASYNC_RESULT_BYTES: "10" });
    const text = (await finished(r.url, await invoke(r.url, "/fizz-function/echo"))).view;
    expect(text.result).toMatchObject({ statusCode: 200, body: '{"url":"/"', bodyEncoding: "utf8", truncated: true });
    const bin = (await finished(r.url, await invoke(r.url, "/fizz-function/echo?bin=1"))).view;
    expect(bin.result).toMatchObject({ body: Buffer.from([0, 1, 2, 255, 254]).toString("base64"), bodyEncoding: "base64", truncated: false });
  });

  it("answers 503 and accepts nothing when the invocation cannot be stored", async () => {
    const dir = stateDir();
    const r = await backend.router({ ...FAST, FIZZ_STATE_DIR: dir });
    writeFileSync(join(dir, "router"), "a file where the directory should be");
    const res = await fetchFrom(r.url, "/fizz-function/echo", { method: "POST", body: "x", headers: ASYNC });
    expect(res.status).toBe(503);
    expect(res.json.error).toMatch(/^could not store the invocation: /);
    expect((await fetchFrom(r.url, "/fizz-invocations")).json.invocations).toEqual([]);
  });

  it("keeps only the configured number of finished invocations, on disk too", async () => {
    const dir = stateDir();
    const r = await backend.router({ ...FAST, FIZZ_STATE_DIR: dir, FIZZ_ROUTER_ASYNC_RETENTION: "2" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await invoke(r.url, "/fizz-function/echo", { method: "POST", body: "x" }));
      await finished(r.url, ids[i]!);
    }
    expect((await status(r.url, ids[0]!)).status).toBe(404);
    expect((await status(r.url, ids[2]!)).json.status).toBe("succeeded");
    const files = join(dir, "router", "invocations");
    // Bodies go once an invocation finishes; only the two retained states are left.
    const want = [`${ids[1]}.json`, `${ids[2]}.json`].sort().join();
    await eventually(() => readdirSync(files).sort().join() === want, 2000);
  });

  it("re-runs queued, running and crashed invocations after a restart and keeps finished ones", async () => {
    const dir = stateDir();
    const env = { ...FAST, FIZZ_STATE_DIR: dir, FIZZ_ROUTER_ASYNC_CONCURRENCY: "1" };
    const r1 = await backend.router(env);
    const done = await invoke(r1.url, "/fizz-function/echo?n=done");
    await finished(r1.url, done);
    const gate = join(dir, "gate");
    const running = await invoke(r1.url, `/fizz-function/echo?gate=${gate}&n=running`, { method: "POST", body: "r" });
    const queued = await invoke(r1.url, "/fizz-function/echo?n=queued", { method: "POST", body: "q" });
    await eventually(async () => (await status(r1.url, running)).json.status === "running", 5000);
    expect((await status(r1.url, queued)).json.status).toBe("queued");
    await r1.stop();

    // A router that died mid-attempt leaves "running" on disk.
    const crashed = "11111111-2222-3333-4444-555555555555";
    const store = new InvocationStore(join(dir, "router", "invocations"), silentLogger);
    await store.saveBody(crashed, Buffer.from("c"));
    await store.save(crashedInvocation(crashed, "/fizz-function/echo?n=crashed", 1));

    const r2 = await backend.router(env);
    writeFileSync(gate, "");
    expect((await status(r2.url, done)).json).toMatchObject({ status: "succeeded", attempts: 1 });
    const afterStop = await finished(r2.url, running);
    expect(afterStop.view).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(afterStop.view.history[0]).toMatchObject({ interrupted: true, error: "interrupted: the router stopped" });
    expect(resultJson(afterStop.view).body).toBe("r");
    const wasQueued = await finished(r2.url, queued);
    expect(wasQueued.view).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(resultJson(wasQueued.view).body).toBe("q");
    const afterCrash = await finished(r2.url, crashed);
    expect(afterCrash.view).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(afterCrash.view.history).toHaveLength(2);
    expect(afterCrash.view.history[0]).toMatchObject({ interrupted: true });
    expect(resultJson(afterCrash.view).body).toBe("c");
  }, 60_000);
});
