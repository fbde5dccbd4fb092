import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FizzError, silentLogger } from "@fizz/common";
import { builtinRuntimes } from "../config.js";
import type { InstanceExit } from "./backend.js";
import { ProcessBackend } from "./process-backend.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "__fixtures__", "runtimes");
const script = (name: string) => ({ execPath: process.execPath, script: join(fixtures, name), args: [] });
const spec = (image: string) => ({ environment: "default/test", image, env: { GREETING: "hi" }, graceMs: 1000 });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let stateDir: string;
let backend: ProcessBackend;
const exits: InstanceExit[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "fizz-backend-"));
  backend = new ProcessBackend(
    {
      stateDir,
      runtimes: { ...builtinRuntimes(), never: script("never-ready.cjs"), dies: script("dies.cjs"), chatty: script("chatty.cjs") },
      startTimeoutMs: 1500,
      logMaxBytes: 64 * 1024,
      defaultGraceMs: 1000,
    },
    silentLogger,
  );
  await backend.cleanup();
  backend.onExit((e) => exits.push(e));
});

afterAll(async () => {
  await backend.stopAll(0);
  await rm(stateDir, { recursive: true, force: true });
});

describe("ProcessBackend", () => {
  it("starts a runtime, records its pid, logs its output, and stops it", async () => {
    const inst = await backend.start(spec("ghcr.io/fission/node-env-22:latest"));
    expect(inst.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(inst.workDir).toBe(join(stateDir, "instances", inst.id));
    expect(backend.isAlive(inst.id)).toBe(true);
    const pids = JSON.parse(readFileSync(join(stateDir, "executor", "pids.json"), "utf8")) as { instances: Array<{ pid: number }> };
    expect(pids.instances.map((e) => e.pid)).toContain(inst.pid);
    // The log is written through a stream: give it a moment to reach the disk.
    const logFile = join(inst.workDir, "runtime.log");
    for (let i = 0; i < 100 && !readFileSync(logFile, "utf8").includes("listening"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(logFile, "utf8")).toMatch(/fizz-runtime listening on/);
    await backend.stop(inst.id);
    expect(alive(inst.pid!)).toBe(false);
    expect(existsSync(inst.workDir)).toBe(false);
    expect(exits.find((e) => e.id === inst.id)).toMatchObject({ expected: true });
  });

  it("refuses images that name no local runtime", async () => {
    const err = (await backend.start(spec("quay.io/acme/ruby-env")).catch((e) => e)) as FizzError;
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION", reason: "UNKNOWN_RUNTIME" });
    expect(err.message).toMatch(/available: nodejs/);
  });

  it("kills a runtime that does not become ready in time", async () => {
    const err = (await backend.start(spec("never")).catch((e) => e)) as FizzError;
    expect(err.code).toBe("DEADLINE_EXCEEDED");
    const e = exits.at(-1);
    expect(e?.expected).toBe(true);
  });

  it("reports a runtime that exits during startup with its output", async () => {
    const err = (await backend.start(spec("dies")).catch((e) => e)) as FizzError;
    expect(err).toMatchObject({ code: "UNAVAILABLE", reason: "RUNTIME_START_FAILED" });
    expect(err.message).toMatch(/code 3.*boom: cannot start/s);
  });

  it("accepts a stdout announcement and caps the log file", async () => {
    const inst = await backend.start(spec("chatty"));
    const log = join(inst.workDir, "runtime.log");
    for (let i = 0; i < 250 && !/log truncated/.test(readFileSync(log, "utf8")); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(log, "utf8")).toMatch(/log truncated/);
    expect(statSync(log).size).toBeLessThan(66 * 1024);
    await backend.stop(inst.id);
  });

  it("reports unexpected exits", async () => {
    const inst = await backend.start(spec("nodejs"));
    process.kill(inst.pid!, "SIGKILL");
    for (let i = 0; i < 100 && !exits.some((e) => e.id === inst.id); i++) await new Promise((r) => setTimeout(r, 20));
    expect(exits.find((e) => e.id === inst.id)).toMatchObject({ expected: false, signal: "SIGKILL" });
    expect(backend.isAlive(inst.id)).toBe(false);
  });
});
