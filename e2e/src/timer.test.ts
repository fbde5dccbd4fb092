// Timer triggers end to end: `fizz up` (timer service included), the CLI, a function that logs
// every call to a file; a restart of the whole platform in between.
import { afterAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, fizz, fizzOk, newStateDir, startPlatform, type Platform } from "./platform.js";

const stateDir = newStateDir();
const calls = join(stateDir, "calls.log");
const code = join(stateDir, "tick.js");
let p: Platform | undefined;

afterAll(async () => {
  await p?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

interface Call {
  scheduled: string;
  name: string;
  method: string;
  url: string;
}
const read = (): Call[] =>
  existsSync(calls)
    ? readFileSync(calls, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call)
    : [];
const times = () => read().map((c) => Date.parse(c.scheduled));

describe("timer triggers", () => {
  it("fire @every 1s through the router, survive a restart without firing a time twice, and stop when deleted", async () => {
    writeFileSync(
      code,
      `const fs = require("node:fs");
module.exports = async (context) => {
  const h = context.request.headers;
  fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify({ scheduled: h["x-fizz-timer-scheduled-time"], name: h["x-fission-timer-name"], method: context.request.method, url: context.request.url }) + "\\n");
  return { status: 200, body: "ok" };
};
`,
    );
    p = await startPlatform({ stateDir });
    expect(p.output()).toMatch(/starting timer… ok \(\d+ ms\) 127\.0\.0\.1:\d+/);
    await fizzOk(p, ["fn", "create", "--name", "tick", "--env", "nodejs", "--code", code]);
    const created = await fizzOk(p, ["timer", "create", "--name", "every", "--function", "tick", "--cron", "@every 1s", "--subpath", "/run"]);
    expect(created).toMatch(/^trigger 'every' created\nCurrent Server Time: \t\S+Z \(UTC\)\nNext 1 invocation: \t\S+Z\n$/);
    expect(await fizzOk(p, ["timer", "list"])).toMatch(/\nevery\s+@every 1s\s+tick\s+POST\s+\/run\s/);

    await eventually(() => read().length >= 3, 30_000);
    expect(read()[0]).toMatchObject({ name: "every", method: "POST", url: "/run" });

    // Restart everything on the same state directory: the trigger is still there and runs on,
    // from a time after the last one fired.
    expect(await p.stop()).toBe(0);
    const before = times();
    p = await startPlatform({ stateDir });
    await eventually(() => times().length >= before.length + 3, 30_000);
    const all = times();
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((t) => t % 1000 === 0)).toBe(true);

    expect(await fizzOk(p, ["timer", "delete", "--name", "every"])).toBe("trigger 'every' deleted\n");
    const deletedAt = Date.now();
    // Two seconds later nothing scheduled after the delete has run.
    await new Promise((r) => setTimeout(r, 2000));
    expect(times().filter((t) => t > deletedAt + 1000)).toEqual([]);
  }, 120_000);

  it("showschedule previews a schedule without the platform", async () => {
    const r = await fizz({ ...process.env, NODE_OPTIONS: "", FIZZ_ADMIN: "127.0.0.1:1" }, ["timer", "showschedule", "--cron", "0 */30 * * * *", "--round", "2"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^Current Server Time: \t\S+Z \(UTC\)$/);
    expect(lines).toHaveLength(3);
    lines.slice(1).forEach((l, i) => expect(l).toMatch(new RegExp(`^Next ${i + 1} invocation: \\t\\S+T\\d\\d:(00|30):00Z$`)));
  });
});
