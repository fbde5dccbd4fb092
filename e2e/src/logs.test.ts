// Function logs end to end: console.log in a function, through `fizz up`'s executor, shows up
// in `fizz fn logs`, and in `fizz fn logs -f` as it happens.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { CLI, FIXTURES, eventually, fizz, fizzOk, get, startPlatform, type Platform } from "./platform.js";

let p: Platform;

beforeAll(async () => {
  p = await startPlatform();
  await fizzOk(p, ["fn", "create", "--name", "logger", "--env", "nodejs", "--code", "./logger.js", "--url", "/logger", "--method", "GET"]);
}, 60_000);

afterAll(async () => {
  await p?.stop();
});

describe("fizz fn logs", () => {
  it("shows what a function printed with console.log and console.error", async () => {
    // Eventually: the executor learns of the new function from its watch a moment after the CLI created it.
    const none = await eventually(async () => {
      const r = await fizz(p, ["fn", "logs", "--name", "logger"]);
      return r.code === 0 ? r : undefined;
    }, 10_000, 200);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/no logs for function "logger" yet/);
    await eventually(async () => (await get(`${p.routerUrl}/logger?say=first`)).status === 200, 10_000);
    const out = await eventually(async () => {
      const o = await fizzOk(p, ["fn", "logs", "--name", "logger"]);
      return o.includes("logger warns: first") && o;
    }, 10_000, 200);
    expect(out).toMatch(/^\S+Z \S+ logger says: first\n\S+Z \S+ \[stderr\] logger warns: first\n$/m);
    expect((await fizzOk(p, ["fn", "logs", "--name", "logger", "--tail", "1"])).trim()).toMatch(/\[stderr\] logger warns: first$/);
  });

  it("follows new output with -f", async () => {
    const c = spawn(process.execPath, [CLI, "fn", "logs", "--name", "logger", "-f", "--since", "1h"], { env: p.env, cwd: FIXTURES });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => c.once("exit", r));
    try {
      await eventually(() => out.includes("logger says: first"), 10_000);
      expect((await get(`${p.routerUrl}/logger?say=live`)).body).toBe("logged\n");
      await eventually(() => out.includes("logger says: live"), 10_000);
    } finally {
      c.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });

  it("says clearly when the function does not exist", async () => {
    const r = await fizz(p, ["fn", "logs", "--name", "ghost"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/function "ghost" not found/);
  });
});
