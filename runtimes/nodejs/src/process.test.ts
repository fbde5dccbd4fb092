// The runtime as the executor runs it: `node dist/main.js` in its own process.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureDir, removeFixtures } from "./__fixtures__/harness.js";
import { exited, readyLine } from "./__fixtures__/runtime-process.js";

const pkgDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const mainJs = path.join(pkgDir, "dist", "main.js");
const tsc = path.join(pkgDir, "..", "..", "node_modules", "typescript", "bin", "tsc");

const FUNCTIONS = `
  exports.hello = async ({ request }) => ({ body: { hello: request.query.name ?? "world" } });
  exports.stray = async () => {
    setTimeout(() => { throw new Error("stray exception"); }, 1);
    Promise.reject(new Error("stray rejection"));
    return { body: "stray" };
  };
  exports.slow = async () => { await new Promise((r) => setTimeout(r, 300)); return { body: "slow done" }; };
`;

const children: ChildProcess[] = [];
let dir: string;

beforeAll(async () => {
  execFileSync(process.execPath, [tsc, "-b", pkgDir], { stdio: "pipe" });
  dir = await fixtureDir({ "fns.js": FUNCTIONS });
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await removeFixtures();
});

async function specializeAt(base: string, functionName: string): Promise<void> {
  const res = await fetch(`${base}/v2/specialize`, { method: "POST", body: JSON.stringify({ filepath: dir, functionName }) });
  expect(res.status).toBe(202);
}

describe("runtime process", () => {
  it("starts, reports ready over stdout and IPC, serves, survives stray errors, and exits when the parent disconnects", async () => {
    const started = Date.now();
    const child = spawn(process.execPath, [mainJs], {
      env: { ...process.env, PORT: "0", FIZZ_USERFUNC_DIR: dir },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const [ready, [msg]] = await Promise.all([readyLine(child), once(child, "message")]);
    expect(ready.line).toBe(`fizz-runtime listening on 127.0.0.1:${ready.port}`);
    expect(msg).toMatchObject({ ready: true, port: ready.port });
    expect(Date.now() - started).toBeLessThan(5_000);

    const base = `http://127.0.0.1:${ready.port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("OK");
    await specializeAt(base, "fns.stray");
    expect(await (await fetch(base)).text()).toBe("stray");
    await new Promise((r) => setTimeout(r, 100));
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("OK"); // still alive
    expect(stderr).toContain("stray exception");
    expect(stderr).toContain("stray rejection");

    child.disconnect();
    expect(await exited(child, 6_000)).toBe(0);
  });

  it("exits when its parent dies (no IPC channel: polls ppid)", async () => {
    // A shell parent that waits for a line on stdin, then exits and orphans the runtime.
    const sh = spawn("sh", ["-c", `"${process.execPath}" "${mainJs}" & echo "pid $!"; read line`], {
      env: { ...process.env, PORT: "0", FIZZ_USERFUNC_DIR: dir },
      stdio: ["pipe", "pipe", "inherit"],
    });
    children.push(sh);
    const ready = await readyLine(sh);
    const out = await new Promise<string>((resolve) => {
      let all = "";
      sh.stdout!.on("data", (d: string) => (all += d));
      sh.stdout!.once("end", () => resolve(all)); // every writer gone: the runtime exited too
      sh.stdin!.end("go\n");
    });
    const pid = Number(/pid (\d+)/.exec(out)?.[1] ?? NaN);
    expect(ready.port).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
  }, 15_000);

  it("finishes in-flight requests on SIGTERM, then exits 0", async () => {
    const child = spawn(process.execPath, [mainJs], {
      env: { ...process.env, PORT: "0", FIZZ_USERFUNC_DIR: dir },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const { port } = await readyLine(child);
    const base = `http://127.0.0.1:${port}`;
    await specializeAt(base, "fns.slow");
    const inFlight = fetch(base).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGTERM");
    expect(await inFlight).toBe("slow done");
    expect(await exited(child, 6_000)).toBe(0);
  });
});
