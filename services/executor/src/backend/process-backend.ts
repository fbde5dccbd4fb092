// Local backend: every instance is a forked runtime process with an IPC channel, so it dies
// with the executor; its stdout/stderr go, line by line, to the LogStore (runtime logs by function).
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { FizzError, precondition, type Logger } from "@fizz/common";
import { runtimeNameOf, type RuntimeCommand } from "../config.js";
import { STDERR, STDOUT } from "../logs/instance-output.js";
import type { LogStore } from "../logs/log-store.js";
import type { BackendInstance, InstanceExit, InstanceSpec, RuntimeBackend } from "./backend.js";
import { killOrphans, PidFile } from "./pids.js";

export interface ProcessBackendOptions {
  stateDir: string;
  runtimes: Record<string, RuntimeCommand>;
  startTimeoutMs: number;
  /** Where instances' output goes. */
  logs: LogStore;
  defaultGraceMs: number;
}

interface Proc {
  id: string;
  child: ChildProcess;
  script: string;
  /** RuntimeCommand.missing: the message when execPath does not exist. */
  missing?: string;
  stopping: boolean;
  exited: Promise<void>;
}

const LISTENING = /listening on (\[[^\]]+\]|[^\s:]+):(\d+)/;

// What a runtime inherits from the executor: like a container, it gets a clean environment and
// whatever its Environment's spec.runtime.env adds. Not the executor's own settings (FIZZ_*
// addresses, NODE_OPTIONS from test runners), and not NODE_EXTRA_CA_CERTS, whose certificate
// loading alone added ~30 ms to every process start here (set it in runtime.env when needed).
const INHERITED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER"];

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of INHERITED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

export class ProcessBackend implements RuntimeBackend {
  private readonly procs = new Map<string, Proc>();
  private readonly listeners: Array<(e: InstanceExit) => void> = [];
  private readonly pids: PidFile;
  private readonly instancesDir: string;

  constructor(private readonly opts: ProcessBackendOptions, private readonly log: Logger) {
    this.instancesDir = join(opts.stateDir, "instances");
    this.pids = new PidFile(join(opts.stateDir, "executor", "pids.json"), () => this.snapshot(), log);
  }

  async cleanup(): Promise<void> {
    await killOrphans(await this.pids.read(), this.log);
    // Nothing of ours runs now, so every instance directory is stale.
    await mkdir(this.instancesDir, { recursive: true });
    const stale = await readdir(this.instancesDir);
    await Promise.all(stale.map((d) => rm(join(this.instancesDir, d), { recursive: true, force: true })));
    await this.pids.changed();
  }

  onExit(listener: (e: InstanceExit) => void): void {
    this.listeners.push(listener);
  }

  isAlive(id: string): boolean {
    const p = this.procs.get(id);
    return !!p && p.child.exitCode === null && p.child.signalCode === null;
  }

  async start(spec: InstanceSpec): Promise<BackendInstance> {
    const runtime = runtimeNameOf(spec.image, this.opts.runtimes);
    const cmd = runtime ? this.opts.runtimes[runtime] : undefined;
    if (!cmd)
      throw precondition(
        `environment ${spec.environment}: image "${spec.image}" names no local runtime` +
          (runtime ? ` (runtime "${runtime}" is not installed)` : "") +
          `; available: ${Object.keys(this.opts.runtimes).join(", ")}`,
        "UNKNOWN_RUNTIME",
      );
    const envName = spec.environment.split("/").pop() ?? "env";
    const id = `${envName}-${randomBytes(5).toString("hex")}`;
    const workDir = join(this.instancesDir, id);
    mkdirSync(workDir, { recursive: true });
    const output = this.opts.logs.instance(id, spec.environment);

    // FIZZ_USERFUNC_DIR: where interface-v1 runtimes look for `user`.
    const env: NodeJS.ProcessEnv = { ...baseEnv(), ...spec.env, PORT: "0", HOST: "127.0.0.1", FIZZ_USERFUNC_DIR: join(workDir, "userfunc") };
    const child = fork(cmd.script, cmd.args, {
      execPath: cmd.execPath,
      execArgv: [],
      cwd: workDir,
      env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    const p: Proc = { id, child, script: cmd.script, missing: cmd.missing, stopping: false, exited: undefined as unknown as Promise<void> };
    p.exited = new Promise<void>((resolve) => {
      const gone = (code: number | null, signal: NodeJS.Signals | null) => {
        if (!this.procs.has(id)) return;
        this.procs.delete(id);
        void this.pids.changed();
        for (const l of this.listeners) l({ id, code, signal, expected: p.stopping });
        resolve();
      };
      child.once("exit", gone);
      // A process that never started (execPath not found) emits "error" and no "exit".
      child.once("error", () => child.pid === undefined && gone(null, null));
    });
    // "close", not "exit": output the runtime wrote just before exiting may still be in the pipes.
    child.once("close", () => output.close());
    child.stdout?.on("data", (c: Buffer) => output.write(STDOUT, c));
    child.stderr?.on("data", (c: Buffer) => output.write(STDERR, c));
    this.procs.set(id, p);
    void this.pids.changed();

    try {
      const port = await this.waitReady(p, spec);
      return { id, address: `127.0.0.1:${port}`, pid: child.pid, workDir };
    } catch (err) {
      await this.stop(id, 0);
      throw err;
    }
  }

  private waitReady(p: Proc, spec: InstanceSpec): Promise<number> {
    const { child } = p;
    // The last output while starting, for the announcement and for error messages; not kept after.
    let tail = "";
    return new Promise<number>((resolve, reject) => {
      const done = (err: Error | undefined, port?: number) => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.stdout?.off("data", onStdout);
        child.stderr?.off("data", keep);
        child.off("error", onError);
        child.off("exit", onExit);
        if (err) reject(err);
        else resolve(port!);
      };
      const onMessage = (m: unknown) => {
        const msg = m as { ready?: unknown; port?: unknown } | null;
        if (msg && msg.ready === true && typeof msg.port === "number") done(undefined, msg.port);
      };
      const keep = (c: Buffer) => void (tail = (tail + c.toString("utf8")).slice(-2000));
      // Runtimes without IPC support announce themselves on stdout.
      // Matched against the chunk itself (plus the end of the previous one, for a line split
      // across chunks), not the kept tail: output right after the announcement can push it out.
      const onStdout = (c: Buffer) => {
        const text = c.toString("utf8");
        const m = LISTENING.exec(tail.slice(-200) + text);
        tail = (tail + text).slice(-2000);
        if (m) done(undefined, Number(m[2]));
      };
      const onError = (err: NodeJS.ErrnoException) => {
        const why = err.code === "ENOENT" && p.missing ? p.missing : err.message;
        done(new FizzError("UNAVAILABLE", `runtime for ${spec.environment} failed to start: ${why}`, "RUNTIME_START_FAILED"));
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(
          new FizzError(
            "UNAVAILABLE",
            `runtime for ${spec.environment} exited during startup (${signal ?? `code ${code}`}): ${tail.trim().slice(-500)}`,
            "RUNTIME_START_FAILED",
          ),
        );
      const timer = setTimeout(
        () => done(new FizzError("DEADLINE_EXCEEDED", `runtime for ${spec.environment} did not start within ${this.opts.startTimeoutMs} ms`)),
        this.opts.startTimeoutMs,
      );
      child.on("message", onMessage);
      child.stdout?.on("data", onStdout);
      child.stderr?.on("data", keep);
      child.once("error", onError);
      child.once("exit", onExit);
    });
  }

  async stop(id: string, graceMs = this.opts.defaultGraceMs): Promise<void> {
    const p = this.procs.get(id);
    if (!p) return;
    p.stopping = true;
    p.child.kill("SIGTERM");
    const force = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
    await p.exited;
    clearTimeout(force);
    await rm(join(this.instancesDir, id), { recursive: true, force: true }).catch(() => {});
  }

  async stopAll(graceMs?: number): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.stop(id, graceMs)));
    await this.pids.changed();
  }

  private snapshot() {
    return [...this.procs.values()].flatMap((p) => (p.child.pid ? [{ id: p.id, pid: p.child.pid, script: p.script }] : []));
  }
}
