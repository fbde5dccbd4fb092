// The Python runtime as the executor runs it: forked from Node with an IPC channel, or orphaned.
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cleanup, dead, exited, fixtureDir, readyLine, specialize, startProcess } from "../../nodejs/src/__fixtures__/runtime-process.js";
import { MAIN_PY, PYTHON, startPython } from "./__fixtures__/python.js";

jest.setTimeout(60_000);
afterEach(cleanup);

const SLOW = `import time\ndef main():\n    print("request started")\n    time.sleep(0.5)\n    return "slow done"\n`;

describe("python runtime process", () => {
  it("reports ready on stdout and over Node's IPC channel, and exits when the channel closes", async () => {
    const dir = await fixtureDir({ "main.py": `def main():\n    return "ok"\n` });
    const r = await startProcess(PYTHON, [MAIN_PY], { FIZZ_USERFUNC_DIR: dir }, ["ignore", "pipe", "pipe", "ipc"]);
    const [msg] = (await once(r.child, "message")) as [unknown];
    expect(msg).toEqual({ ready: true, port: r.port, address: `127.0.0.1:${r.port}` });
    expect((await specialize(r, dir)).status).toBe(202);
    expect(await (await fetch(r.base)).text()).toBe("ok");
    r.child.disconnect();
    expect(await exited(r.child, 10_000)).toBe(0);
  });

  it("exits when its parent dies (no IPC channel: polls the parent pid)", async () => {
    const sh = spawn("sh", ["-c", `"${PYTHON}" "${MAIN_PY}" & echo "pid $!"; read line`], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0" },
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    sh.stdout!.on("data", (d: Buffer | string) => (out += d.toString()));
    const ended = once(sh.stdout!, "end"); // every writer gone: the runtime exited too
    await readyLine(sh);
    sh.stdin!.end("go\n");
    await ended;
    const pid = Number(/pid (\d+)/.exec(out)?.[1] ?? NaN);
    expect(pid).toBeGreaterThan(0);
    expect(dead(pid)).toBe(true);
  });

  it("finishes in-flight requests on SIGTERM, closes idle connections, then exits 0", async () => {
    const dir = await fixtureDir({ "main.py": SLOW });
    const r = await startPython({ FIZZ_USERFUNC_DIR: dir });
    expect((await specialize(r, dir)).status).toBe(202);
    const inFlight = fetch(r.base).then((res) => res.text());
    await r.waitFor("stdout", "request started");
    r.child.kill("SIGTERM");
    expect(await inFlight).toBe("slow done");
    expect(await exited(r.child, 10_000)).toBe(0);
  });

  it("refuses bad settings with a message naming the variable", async () => {
    for (const [env, message] of [
      [{ PORT: "x" }, `fizz-runtime: PORT must be a non-negative integer, got "x"`],
      [{ FIZZ_PYTHON_FLASK: "maybe" }, `fizz-runtime: FIZZ_PYTHON_FLASK must be one of auto, shim, got 'maybe'`],
    ] as const) {
      const child = spawn(PYTHON, [MAIN_PY], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      expect(await exited(child, 10_000)).toBe(2);
      expect(err.trim()).toBe(message);
    }
  });
});
