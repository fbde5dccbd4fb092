import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FizzError, silentLogger } from "@fizz/common";
import { until } from "../__fixtures__/platform.js";
import { builtinRuntimes } from "../config.js";
import { LogStore } from "../logs/log-store.js";
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
let logs: LogStore;
const exits: InstanceExit[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "fizz-backend-"));
  logs = new LogStore({ dir: join(stateDir, "logs"), maxBytes: 1024 * 1024 });
  backend = new ProcessBackend(
    {
      stateDir,
      runtimes: { ...builtinRuntimes(), never: script("never-ready.cjs"), dies: script("dies.cjs"), chatty: script("chatty.cjs") },
      // Generous: a loaded CI machine can take seconds to start a runtime; only "never" waits it out.
      startTimeoutMs: 8000,
      logs,
      defaultGraceMs: 1000,
    },
    silentLogger,
  );
  await backend.cleanup();
  backend.onExit((e) => exits.push(e));
});

afterAll(async () => {
  await backend.stopAll(0);
  await logs.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("ProcessBackend", () => {
  it("starts a runtime, records its pid, logs its output, and stops it", async () => {
    const inst = await backend.start(spec("ghcr.io/fission/node-env-22:latest"));
    expect(inst.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(inst.workDir).toBe(join(stateDir, "instances", inst.id));
    expect(backend.isAlive(inst.id)).toBe(true);
    // The pid file is rewritten in the background right after a start.
    const recordedPids = () => {
      const file = join(stateDir, "executor", "pids.json");
      return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { instances: Array<{ pid: number }> }).instances.map((e) => e.pid) : [];
    };
    await until("the pid in pids.json", () => recordedPids().includes(inst.pid!));
    // A warm instance's output is its environment's, kept after the instance is gone.
    const own = async () => (await logs.readEnvironment("default/test")).filter((l) => l.instanceId === inst.id);
    const said = await until("the announcement in the log", async () => (await own()).map((l) => `${l.stream} ${l.text}`).find((t) => t.includes("listening")));
    expect(said).toMatch(/^stdout fizz-runtime listening on 127\.0\.0\.1:\d+$/);
    await backend.stop(inst.id);
    expect(alive(inst.pid!)).toBe(false);
    expect(existsSync(inst.workDir)).toBe(false);
    expect((await own()).length).toBeGreaterThan(0);
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

  it("accepts a stdout announcement and logs what the runtime writes after it, line by line", async () => {
    const inst = await backend.start(spec("chatty"));
    const lines = await until("200 lines of output", async () => {
      const mine = (await logs.readEnvironment("default/test")).filter((l) => l.instanceId === inst.id && l.text.startsWith("x"));
      return mine.length === 200 && mine;
    });
    expect(lines.every((l) => l.text.length === 1023 && l.stream === "stdout")).toBe(true);
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
