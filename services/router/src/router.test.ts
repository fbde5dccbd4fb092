// The router against the real controller and executor (local runtime processes).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { wrap } from "@fizz/clients";
import { Kind } from "@fizz/proto";
import type { Router } from "./router.js";
import { eventually, get as fetchFrom, startBackend, type Backend } from "./__fixtures__/platform.js";

let backend: Backend;
let router: Router;
let base: string;
let dir: string;

const get = (path: string, init?: RequestInit) => fetchFrom(base, path, init);

beforeAll(async () => {
  backend = await startBackend("fizz-router-it-");
  dir = backend.dir;
  await backend.addFunction("echo");
  await backend.addFunction("slow", { functionTimeout: 1 });
  await backend.addFunction("single", { concurrency: 1, requestsPerPod: 1 });
  await backend.addTrigger("users", { relativeurl: "/users/{id}", functionref: { type: "name", name: "echo" } });
  await backend.addTrigger("api", { prefix: "/api", functionref: { type: "name", name: "echo" } });
  router = await backend.router({ FIZZ_ROUTER_MAX_BODY_BYTES: "1000" });
  base = router.url;
}, 60_000);

afterAll(async () => {
  await backend?.stop();
}, 30_000);

describe("router with real services", () => {
  it("is healthy once synced", async () => {
    expect((await get("/healthz")).status).toBe(200);
  });

  it("serves a function through /fizz-function/<name> and a trigger, with params headers", async () => {
    const a = await get("/fizz-function/echo/x/y?z=1", { method: "POST", body: "ping" });
    expect(a.status).toBe(200);
    expect(a.json.url).toBe("/x/y?z=1");
    expect(a.json.body).toBe("ping");
    const h = a.json.headers as Record<string, string>;
    expect(h["x-fizz-function-name"]).toBe("echo");
    expect(h["x-fizz-function-namespace"]).toBe("default");
    expect(h["x-fizz-function-resourceversion"]).toMatch(/^\d+$/);
    const b = await get("/users/42");
    expect(b.status).toBe(200);
    expect((b.json.headers as Record<string, string>)["x-fission-params-id"]).toBe("42");
    expect((b.json.headers as Record<string, string>)["x-fizz-params-id"]).toBe("42");
  });

  it("keeps serving warm requests from the instance it holds", async () => {
    const pids = new Set<unknown>();
    for (let i = 0; i < 20; i++) pids.add((await get("/fizz-function/echo")).json.pid);
    expect(pids.size).toBe(1);
    const dbg = (await get("/_fizz/routes")).json as { instances: Record<string, unknown[]> };
    expect(dbg.instances["default/echo"]).toHaveLength(1);
  });

  it("moves to the new version when the function changes", async () => {
    const r = await backend.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "echo" });
    const fn = r.kind.case === "function" ? r.kind.value : undefined;
    fn!.spec!.functionTimeout = 30;
    const updated = await backend.admin.update({ resource: wrap(fn!) });
    const rv = updated.kind.case === "function" ? updated.kind.value.metadata?.resourceVersion : "";
    await eventually(async () => {
      const h = (await get("/fizz-function/echo")).json.headers as Record<string, string>;
      return h["x-fizz-function-resourceversion"] === rv;
    }, 5000);
  });

  it("routes prefixes, stripping the prefix", async () => {
    const r = await get("/api/v1/items?x=2");
    expect(r.status).toBe(200);
    expect(r.json.url).toBe("/v1/items?x=2");
  });

  it("applies trigger create, update and delete within a second", async () => {
    expect((await get("/live")).status).toBe(404);
    const t0 = Date.now();
    const created = await backend.addTrigger("live", { relativeurl: "/live", functionref: { type: "name", name: "echo" } });
    await eventually(async () => (await get("/live")).status === 200, 1000);
    const t = created.kind.case === "httpTrigger" ? created.kind.value : undefined;
    t!.spec!.relativeurl = "/live2";
    await backend.admin.update({ resource: wrap(t!) });
    await eventually(async () => (await get("/live2")).status === 200 && (await get("/live")).status === 404, 1000);
    await backend.admin.delete({ kind: Kind.HTTP_TRIGGER, namespace: "default", name: "live" });
    await eventually(async () => (await get("/live2")).status === 404, 1000);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("answers 404 for unknown routes and functions", async () => {
    const r = await get("/nothing/here");
    expect(r.status).toBe(404);
    expect(r.json.code).toBe("NOT_FOUND");
    expect((await get("/fizz-function/ghost")).status).toBe(404);
  });

  it("answers 413 for oversized bodies, by Content-Length and chunked", async () => {
    expect((await get("/fizz-function/echo", { method: "POST", body: "x".repeat(2000) })).status).toBe(413);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/fizz-function/echo`, { method: "POST", agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write("a".repeat(800));
      setTimeout(() => req.end("b".repeat(800)), 50);
    });
    expect(status).toBe(413);
  });

  it("answers 504 when the function outlives functionTimeout", async () => {
    const r = await get("/fizz-function/slow?sleep=3000");
    expect(r.status).toBe(504);
    expect(r.json.error).toBe("function slow did not respond within 1 s");
  });

  it("aborts the upstream request when the client disconnects", async () => {
    const marker = join(dir, "hung-up");
    const req = http.request(`${base}/fizz-function/echo?hang=${encodeURIComponent(marker)}`, { agent: false });
    req.on("error", () => undefined);
    req.end();
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(marker)).toBe(false);
    req.destroy();
    await eventually(() => existsSync(marker), 2000);
  });

  it("fails a request whose function crashes its process cleanly, then serves from a new instance", async () => {
    const before = (await get("/fizz-function/echo")).json.pid;
    const crash = await get("/fizz-function/echo?crash=1");
    expect([502, 503]).toContain(crash.status);
    expect(typeof crash.json.error).toBe("string");
    const after = await get("/fizz-function/echo");
    expect(after.status).toBe(200);
    expect(after.json.pid).not.toBe(before);
  });

  it("answers 429 past concurrency", async () => {
    const [a, b] = await Promise.all([get("/fizz-function/single?sleep=800"), get("/fizz-function/single?sleep=800")]);
    expect([a.status, b.status].sort()).toEqual([200, 429]);
    const limited = a.status === 429 ? a : b;
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.json.code).toBe("RESOURCE_EXHAUSTED");
  });
});
