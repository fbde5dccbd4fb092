// Python and exec functions through the whole platform: created with the CLI, called through the
// router, as the tour does it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive, eventually, fizzOk, get, startPlatform, type Platform } from "./platform.js";

let p: Platform;
const run = (args: string[]) => fizzOk(p, args);

beforeAll(async () => {
  p = await startPlatform();
}, 60_000);

afterAll(async () => {
  await p?.stop();
});

describe("python functions", () => {
  it("fizz up provides a python environment; a Flask-style function serves through the router", async () => {
    expect(await run(["env", "list"])).toMatch(/python/);
    await run(["fn", "create", "--name", "hi", "--env", "python", "--code", "./runtimes/hello.py", "--url", "/hi"]);
    expect(await get(`${p.routerUrl}/hi`)).toMatchObject({ status: 200, body: "hi there\n" });
    expect((await get(`${p.routerUrl}/hi?name=fizz`)).body).toBe("hi fizz\n");
  }, 60_000);

  it("reads path parameters and JSON; an exception is a 500 and the function keeps serving", async () => {
    await run(["fn", "create", "--name", "item", "--env", "python", "--code", "./runtimes/item.py"]);
    await run(["route", "create", "--name", "item", "--function", "item", "--url", "/items/{id}", "--method", "POST"]);
    const post = (url: string) =>
      fetch(`${p.routerUrl}${url}`, { method: "POST", body: JSON.stringify({ n: 1 }), headers: { "content-type": "application/json" } });
    const ok = await eventually(async () => {
      const r = await post("/items/42");
      return r.status === 200 ? r.json() : undefined;
    }, 10_000);
    expect(ok).toEqual({ id: "42", body: { n: 1 } });
    const failed = await post("/items/1?fail=1");
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: "function error: RuntimeError: asked to fail" });
    expect((await post("/items/7")).status).toBe(200);
  }, 60_000);
});

describe("exec functions", () => {
  it("runs a shell script per request: body on stdin, stdout back", async () => {
    await run(["env", "create", "--name", "shell", "--image", "exec"]);
    await run(["fn", "create", "--name", "wc", "--env", "shell", "--code", "./runtimes/wc.sh", "--url", "/wc", "--method", "POST"]);
    const res = await fetch(`${p.routerUrl}/wc`, { method: "POST", body: "one two three four" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("4\n");
  }, 60_000);

  it("a run past the function's timeout is a 504 and its process is killed", async () => {
    await run(["fn", "create", "--name", "hang", "--env", "shell", "--code", "./runtimes/hang.sh", "--fntimeout", "2"]);
    const pidFile = join(mkdtempSync(join(tmpdir(), "fizz-e2e-hang-")), "pid");
    const res = await get(`${p.routerUrl}/fizz-function/hang?${pidFile}`);
    expect(res.status).toBe(504);
    const pid = Number(readFileSync(pidFile, "utf8"));
    // The router gave up and closed the connection; the runtime kills the run's process group.
    await eventually(() => !alive(pid), 10_000);
  }, 60_000);
});
