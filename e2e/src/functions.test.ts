// A user's tour, end to end: CLI → controller; HTTP → router → executor → runtime.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { eventually, fizz, fizzOk, get, startPlatform, type Platform } from "./platform.js";

let p: Platform;

beforeAll(async () => {
  p = await startPlatform({ env: { FIZZ_ROUTER_MAX_BODY_BYTES: String(1024 * 1024) } });
}, 60_000);

afterAll(async () => {
  await p?.stop();
});

describe("a function's life through the CLI", () => {
  it("serves the example function fizz up deployed", async () => {
    const r = await get(`${p.routerUrl}/hello`);
    expect(r.status).toBe(200);
    expect(r.body).toContain("hello from the example function");
  });

  it("creates, updates, tests, lists and deletes a function and its route", async () => {
    await fizzOk(p, ["fn", "create", "--name", "greet", "--env", "nodejs", "--code", "./greet.js", "--url", "/greet", "--method", "GET"]);
    expect((await get(`${p.routerUrl}/greet`)).body).toBe("hello v1\n");

    await fizzOk(p, ["fn", "update", "--name", "greet", "--code", "./greet-v2.js"]);
    await eventually(async () => (await get(`${p.routerUrl}/greet`)).body === "hello v2\n", 5000);

    expect(await fizzOk(p, ["fn", "test", "--name", "greet"])).toContain("hello v2");
    expect(await fizzOk(p, ["fn", "list"])).toMatch(/greet/);
    expect(await fizzOk(p, ["route", "list"])).toMatch(/\/greet/);
    expect(await fizzOk(p, ["env", "list"])).toMatch(/nodejs/);

    await fizzOk(p, ["fn", "delete", "--name", "greet"]);
    await eventually(async () => (await get(`${p.routerUrl}/greet`)).status === 404, 3000);
    expect((await get(`${p.routerUrl}/fizz-function/greet`)).status).toBe(404);
    expect(await fizzOk(p, ["route", "list"])).not.toMatch(/\/greet/);
  });

  it("routes path parameters and prefixes", async () => {
    await fizzOk(p, ["fn", "create", "--name", "echo", "--env", "nodejs", "--code", "./echo.js"]);
    await fizzOk(p, ["route", "create", "--name", "echo-item", "--function", "echo", "--url", "/items/{id}", "--method", "GET"]);
    await fizzOk(p, ["route", "create", "--name", "echo-api", "--function", "echo", "--prefix", "/api"]);
    await fizzOk(p, ["route", "create", "--name", "echo-keep", "--function", "echo", "--prefix", "/keep", "--keep-prefix"]);

    const item = await eventually(async () => {
      const r = await get(`${p.routerUrl}/items/42`);
      return r.status === 200 ? JSON.parse(r.body) : undefined;
    });
    expect(item.id).toBe("42");
    expect(item.fizzFunction).toBe("echo");

    const api = JSON.parse((await get(`${p.routerUrl}/api/v1/things?x=1`)).body);
    expect(api.url).toBe("/v1/things?x=1");
    const keep = JSON.parse((await get(`${p.routerUrl}/keep/a/b`)).body);
    expect(keep.url).toBe("/keep/a/b");

    // Methods are enforced: the item route is GET only.
    expect((await get(`${p.routerUrl}/items/42`, { method: "DELETE" })).status).toBe(404);
  });

  it("gives 404 for unknown routes and 413 for oversized bodies", async () => {
    const unknown = await get(`${p.routerUrl}/no/such/route`);
    expect(unknown.status).toBe(404);
    const big = await get(`${p.routerUrl}/api/upload`, { method: "POST", body: Buffer.alloc(2 * 1024 * 1024, 97) });
    expect(big.status).toBe(413);
    // A body under the limit still gets through.
    const small = JSON.parse((await get(`${p.routerUrl}/api/upload`, { method: "POST", body: Buffer.alloc(1000, 97) })).body);
    expect(small.bodyLength).toBe(1000);
  });

  it("turns a throwing function into a 500 and keeps serving", async () => {
    await fizzOk(p, ["fn", "create", "--name", "thrower", "--env", "nodejs", "--code", "./throws.js", "--url", "/throws"]);
    const r = await eventually(async () => {
      const x = await get(`${p.routerUrl}/throws`);
      return x.status === 500 ? x : undefined;
    });
    expect(r.body).toContain("deliberate failure");
    expect((await get(`${p.routerUrl}/throws`)).status).toBe(500);
  });

  it("survives a function that crashes its process while another keeps serving", async () => {
    await fizzOk(p, ["fn", "create", "--name", "crasher", "--env", "nodejs", "--code", "./crash.js", "--url", "/crash"]);
    const crashed = await get(`${p.routerUrl}/crash`);
    expect(crashed.status).toBeGreaterThanOrEqual(500);
    // The other functions are unaffected, and the crashed one gets a fresh instance next time.
    expect((await get(`${p.routerUrl}/hello`)).status).toBe(200);
    expect((await get(`${p.routerUrl}/items/7`)).status).toBe(200);
    const again = await get(`${p.routerUrl}/crash`);
    expect(again.status).toBeGreaterThanOrEqual(500);
    expect((await get(`${p.routerUrl}/hello`)).status).toBe(200);
  });

  it("answers 504 when a function outlives its timeout", async () => {
    await fizzOk(p, ["fn", "create", "--name", "sleepy", "--env", "nodejs", "--code", "./sleep.js", "--url", "/sleepy", "--fntimeout", "1"]);
    const started = Date.now();
    const r = await get(`${p.routerUrl}/sleepy?ms=4000`);
    expect(r.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(3500);
    expect((await get(`${p.routerUrl}/sleepy?ms=10`)).status).toBe(200);
  });

  it("answers 429 past a function's concurrency", async () => {
    await fizzOk(p, ["fn", "create", "--name", "single", "--env", "nodejs", "--code", "./sleep.js", "--url", "/single", "--concurrency", "1", "--requestsperpod", "1"]);
    expect((await get(`${p.routerUrl}/single?ms=1`)).status).toBe(200);
    const [a, b] = await Promise.all([get(`${p.routerUrl}/single?ms=1500`), get(`${p.routerUrl}/single?ms=1500`)]);
    expect([a.status, b.status].sort()).toEqual([200, 429]);
  });

  it("reports CLI mistakes in one clear line with a non-zero exit", async () => {
    const r = await fizz(p, ["fn", "create", "--name", "Bad_Name", "--env", "nodejs", "--code", "./greet.js"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Bad_Name/);
    const missing = await fizz(p, ["fn", "create", "--name", "orphan", "--env", "no-such-env", "--code", "./greet.js"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-env/);
    const gone = await fizz(p, ["fn", "test", "--name", "never-created"]);
    expect(gone.code).not.toBe(0);
  });
});
