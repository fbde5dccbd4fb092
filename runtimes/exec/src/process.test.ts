// The exec runtime as the executor runs it: `node dist/main.js`, forked with an IPC channel.
import { afterEach, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, dead, exited, fixtureDir, specialize, startProcess } from "../../nodejs/src/__fixtures__/runtime-process.js";

jest.setTimeout(60_000);

const pkgDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const mainJs = path.join(pkgDir, "dist", "main.js");
const tsc = path.join(pkgDir, "..", "..", "node_modules", "typescript", "bin", "tsc");

beforeAll(() => {
  execFileSync(process.execPath, [tsc, "-b", pkgDir], { stdio: "pipe" });
}, 120_000);
afterEach(cleanup);

const SCRIPT = `#!/bin/sh\necho $$ > "$FIZZ_QUERY.pid"\necho "run $FIZZ_QUERY" >&2\nsleep "$FIZZ_QUERY"\necho "slept $FIZZ_QUERY"\n`;

describe("exec runtime process", () => {
  it("reports ready over stdout and IPC, runs programs, and exits when the channel closes", async () => {
    const dir = await fixtureDir({ "nap.sh": [SCRIPT, 0o755] });
    const r = await startProcess(process.execPath, [mainJs], { FIZZ_USERFUNC_DIR: dir }, ["ignore", "pipe", "pipe", "ipc"]);
    const [msg] = (await once(r.child, "message")) as [unknown];
    expect(msg).toEqual({ ready: true, port: r.port, address: `127.0.0.1:${r.port}` });
    expect((await specialize(r, dir, "nap")).status).toBe(202);
    expect(await (await fetch(`${r.base}/?0`)).text()).toBe("slept 0\n");
    await r.waitFor("stderr", "run 0"); // the program's stderr is the runtime's: the function log
    r.child.disconnect();
    expect(await exited(r.child, 10_000)).toBe(0);
  });

  it("on SIGTERM finishes runs within the grace period and kills the ones still going", async () => {
    const dir = await fixtureDir({ "nap.sh": [SCRIPT, 0o755] });
    const r = await startProcess(process.execPath, [mainJs], { FIZZ_USERFUNC_DIR: dir, FIZZ_SHUTDOWN_GRACE_MS: "1500" });
    expect((await specialize(r, dir, "nap")).status).toBe(202);
    const short = fetch(`${r.base}/?0.3`).then((res) => res.text());
    const long = fetch(`${r.base}/?30`).then(
      (res) => res.status,
      () => "cut",
    );
    await r.waitFor("stderr", "run 0.3");
    await r.waitFor("stderr", "run 30");
    r.child.kill("SIGTERM");
    expect(await short).toBe("slept 0.3\n");
    expect(await exited(r.child, 10_000)).toBe(0);
    expect(await long).toBe("cut");
    expect(dead(Number(await readFile(path.join(dir, "30.pid"), "utf8")))).toBe(true);
  });

  it("refuses a bad setting with a message naming it", async () => {
    const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env.PATH, FIZZ_EXEC_TIMEOUT_MS: "soon" }, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    expect(await exited(child, 10_000)).toBe(2);
    expect(err.trim()).toBe(`fizz-runtime: FIZZ_EXEC_TIMEOUT_MS must be a non-negative integer, got "soon"`);
  });
});
