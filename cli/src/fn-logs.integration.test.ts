// `fizz fn logs` (the built CLI) against a real controller, storage and executor in this process:
// a function prints, the CLI shows it, filters it, follows it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@fizz/common";
import { executorClient, type ExecutorClient } from "@fizz/clients";
import { Executor, configSchema } from "@fizz/executor";
import { CLI, runCli } from "./__fixtures__/run.js";
import { startTestPlatform, tree, type TestPlatform } from "./__fixtures__/platform.js";
import { formatLogLine, isNote, sinceArg } from "./commands/fn/logs.js";

let t: TestPlatform;
let executor: Executor;
let exec: ExecutorClient;
let env: NodeJS.ProcessEnv;
const executorState = mkdtempSync(join(tmpdir(), "fizz-cli-logs-"));
const fizz = (...args: string[]) => runCli(args, env);

const SAYS = `module.exports = async (context) => {
  const q = context.request.query;
  if (q.out) console.log(q.out);
  if (q.err) console.error(q.err);
  return { status: 200, body: "ok" };
};
`;

/** Calls the function on its instance (as the router would) and returns the instance id. */
async function say(name: string, query: Record<string, string>): Promise<string> {
  const svc = await exec.getServiceForFunction({ function: { name, namespace: "default" } });
  const res = await fetch(`http://${svc.address}/?${new URLSearchParams(query)}`);
  await res.text();
  return svc.instanceId;
}

/** Polls `fizz fn logs` until its output contains `text`. */
async function logsContaining(name: string, text: string, ...extra: string[]): Promise<string> {
  for (const deadline = Date.now() + 15_000; ; ) {
    const r = await fizz("fn", "logs", "--name", name, ...extra);
    if (r.code === 0 && r.stdout.includes(text)) return r.stdout;
    if (Date.now() > deadline) throw new Error(`"${text}" never showed up:\n${r.stderr}${r.stdout}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

beforeAll(async () => {
  t = await startTestPlatform();
  executor = new Executor(
    loadConfig(configSchema, { FIZZ_EXECUTOR: "127.0.0.1:0", FIZZ_ADMIN: t.controller.address!, FIZZ_STORAGE: t.storage.address!, FIZZ_STATE_DIR: executorState }, "executor"),
  );
  await executor.start();
  exec = executorClient(executor.address!);
  env = { ...t.env, FIZZ_EXECUTOR: executor.address! };
  const dir = tree({ "says.js": SAYS });
  await t.ok("env", "create", "--name", "nodejs", "--image", "nodejs", "--poolsize", "1");
  for (const name of ["says", "quiet"]) {
    const r = await runCli(["fn", "create", "--name", name, "--env", "nodejs", "--code", join(dir, "says.js")], env);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}, 60_000);

afterAll(async () => {
  exec?.close();
  await executor?.stop();
  await t?.close();
  await rm(executorState, { recursive: true, force: true });
});

describe("fizz fn logs", () => {
  it("prints `<time> <instance> <text>` lines, stderr marked", async () => {
    const id = await say("says", { out: "hello from says", err: "warning from says" });
    const out = await logsContaining("says", "warning from says");
    expect(out).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${id} hello from says\\n\\S+ ${id} \\[stderr\\] warning from says\\n$`));
  });

  it("--tail, --since and -o json", async () => {
    await say("says", { out: "second" });
    await logsContaining("says", "second");
    expect((await fizz("fn", "logs", "--name", "says", "--tail", "1")).stdout).toMatch(/ second\n$/);
    const docs = (await fizz("fn", "logs", "--name", "says", "-o", "json")).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(docs.map((d) => [d.stream, d.text])).toEqual([
      ["stdout", "hello from says"],
      ["stderr", "warning from says"],
      ["stdout", "second"],
    ]);
    expect(docs.every((d) => !Number.isNaN(Date.parse(d.time)) && typeof d.instance === "string")).toBe(true);
    expect((await fizz("fn", "logs", "--name", "says", "--since", "10m")).stdout.split("\n").filter(Boolean)).toHaveLength(3);
    const future = await fizz("fn", "logs", "--name", "says", "--since", new Date(Date.now() + 3_600_000).toISOString());
    expect(future).toMatchObject({ code: 0, stdout: "" });
    expect(future.stderr).toMatch(/no logs for function "says" in that range/);
  });

  it("follows new lines until interrupted", async () => {
    const c = spawn(process.execPath, [CLI, "fn", "logs", "--name", "says", "-f", "--tail", "1"], { env: { ...process.env, NODE_OPTIONS: "", ...env } });
    let out = "";
    let stderr = "";
    c.stderr.on("data", (d) => (stderr += d));
    // One listener for the whole run: output that arrives while no wait is pending (e.g. the new
    // line printed before say() returns) must not be lost with a removed listener.
    const onOutput = new Set<() => void>();
    c.stdout.on("data", (d: Buffer) => {
      out += d;
      for (const f of [...onOutput]) f();
    });
    const seen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!out.includes(text)) return;
          onOutput.delete(check);
          resolve();
        };
        onOutput.add(check);
        c.once("exit", () => reject(new Error(`fizz fn logs -f exited early: ${stderr}`)));
        // A hang reports what was printed instead of a bare test timeout.
        setTimeout(() => reject(new Error(`"${text.trim()}" not printed within 15 s; stdout: ${JSON.stringify(out)}; stderr: ${JSON.stringify(stderr)}`)), 15_000).unref();
        check();
      });
    const exited = new Promise<number | null>((r) => c.once("exit", r));
    await seen(" second\n");
    await say("says", { out: "streamed live" });
    await seen(" streamed live\n");
    c.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).not.toContain("hello from says");
    expect(stderr).toBe("");
  });

  it("prints nothing and a hint for a function that has not run yet", async () => {
    const r = await fizz("fn", "logs", "--name", "quiet");
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toMatch(/no logs for function "quiet" yet; they appear once it runs \(call it with: fizz fn test --name quiet\)/);
  });

  it("fails clearly for an unknown function, a bad --since and an unreachable executor", async () => {
    const nf = await fizz("fn", "logs", "--name", "nope");
    expect(nf.code).toBe(1);
    expect(nf.stderr).toMatch(/^fizz: function "nope" not found in namespace "default"\n$/);
    const bad = await fizz("fn", "logs", "--name", "says", "--since", "yesterday");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"yesterday" is neither a duration \(10m, 1h\) nor an RFC 3339 time/);
    const down = await runCli(["fn", "logs", "--name", "says"], { ...env, FIZZ_EXECUTOR: "127.0.0.1:1" });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the executor at 127\.0\.0\.1:1 .*FIZZ_EXECUTOR/);
  });
});

describe("fn logs helpers", () => {
  it("parses --since as a duration back or an RFC 3339 time", () => {
    const now = Date.parse("2025-06-01T12:00:00Z");
    expect(sinceArg("10m", now)).toBe(now - 600_000);
    expect(sinceArg("1h30m", now)).toBe(now - 5_400_000);
    expect(sinceArg("2025-06-01T11:00:00Z", now)).toBe(now - 3_600_000);
    expect(sinceArg("2025-06-01T13:00:00+02:00", now)).toBe(now - 3_600_000);
    expect(() => sinceArg("2025-06-01", now)).toThrow(/neither a duration/);
  });

  it("formats lines for people and machines", () => {
    const l = { timeMs: BigInt(Date.parse("2025-06-01T12:00:00.123Z")), instanceId: "node-ab12", stream: "stderr", text: "boom" } as never;
    expect(formatLogLine(l, "table")).toBe("2025-06-01T12:00:00.123Z node-ab12 [stderr] boom\n");
    expect(JSON.parse(formatLogLine(l, "json"))).toEqual({ time: "2025-06-01T12:00:00.123Z", instance: "node-ab12", stream: "stderr", text: "boom" });
    expect(formatLogLine(l, "yaml")).toBe("---\ntime: 2025-06-01T12:00:00.123Z\ninstance: node-ab12\nstream: stderr\ntext: boom\n");
  });

  it("tells the executor's notes from runtime output", () => {
    const line = (instanceId: string, text: string) => ({ timeMs: 0n, instanceId, stream: "stderr", text }) as never;
    expect(isNote(line("fizz", "[fizz] logs of deleted pods are gone"))).toBe(true);
    expect(isNote(line("fizz", "printed by a function"))).toBe(false);
    expect(isNote(line("fn-hello-1a2b3c4d-x9z8", "[fizz] looks like a note"))).toBe(false);
  });
});
