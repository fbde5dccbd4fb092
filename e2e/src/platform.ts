// Starts the real platform (`fizz up`, every service its own process) on ephemeral ports and
// drives it the way a user does: the built CLI as a subprocess, HTTP to the router.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(REPO, "cli", "dist", "main.js");
export const FIXTURES = join(REPO, "e2e", "fixtures");

export interface Platform {
  proc: ChildProcess;
  stateDir: string;
  routerUrl: string;
  admin: string;
  output: () => string;
  env: NodeJS.ProcessEnv;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const newStateDir = () => mkdtempSync(join(tmpdir(), "fizz-e2e-"));

export async function startPlatform(opts: { stateDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Platform> {
  const stateDir = opts.stateDir ?? newStateDir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: "",
    FIZZ_ROUTER: "127.0.0.1:0",
    FIZZ_ADMIN: "127.0.0.1:0",
    FIZZ_EXECUTOR: "127.0.0.1:0",
    FIZZ_STORAGE: "127.0.0.1:0",
    FIZZ_BUILDER: "127.0.0.1:0",
    FIZZ_RECORDER: "127.0.0.1:0",
    FIZZ_TIMER: "127.0.0.1:0",
    FIZZ_MQTRIGGER: "127.0.0.1:0",
    FIZZ_CONTROLLER_METRICS: "127.0.0.1:0",
    FIZZ_EXECUTOR_METRICS: "127.0.0.1:0",
    FIZZ_STORAGE_METRICS: "127.0.0.1:0",
    FIZZ_RECORDER_METRICS: "127.0.0.1:0",
    FIZZ_CANARY: "127.0.0.1:0",
    FIZZ_LOG_LEVEL: "warn",
    ...opts.env,
  };
  const proc = spawn(process.execPath, [CLI, "up", "--state-dir", stateDir], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fizz up did not become ready:\n${out}`)), opts.timeoutMs ?? 30_000);
    const check = () => {
      const m = out.match(/Fizz is up\. Router: (http:\/\/\S+)\s+Admin: (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout!.on("data", check);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`fizz up exited with ${code}:\n${out}`));
    });
  });
  const routerUrl = ready[1]!;
  const admin = ready[2]!;
  // Storage too, so the CLI can upload (and fetch) archives larger than the inline limit.
  // The CLI talks to storage (large archives) and the recorder directly too.
  const up = JSON.parse(readFileSync(join(stateDir, "up.json"), "utf8")) as { storage?: string; recorder?: string; executor?: string; mqtrigger?: string };
  const clientEnv = {
    ...process.env,
    NODE_OPTIONS: "",
    FIZZ_ROUTER: routerUrl,
    FIZZ_ADMIN: admin,
    ...(up.storage ? { FIZZ_STORAGE: up.storage } : {}),
    ...(up.recorder ? { FIZZ_RECORDER: up.recorder } : {}),
    // fizz fn logs reads from the executor.
    ...(up.executor ? { FIZZ_EXECUTOR: up.executor } : {}),
    ...(up.mqtrigger ? { FIZZ_MQTRIGGER: up.mqtrigger } : {}),
  };
  return {
    proc,
    stateDir,
    routerUrl,
    admin,
    env: clientEnv,
    output: () => out,
    stop: (signal = "SIGINT") =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once("exit", (code) => resolve(code));
        proc.kill(signal);
      }),
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `fizz` CLI against the platform. */
export function fizz(p: Pick<Platform, "env"> | NodeJS.ProcessEnv, args: string[], cwd = FIXTURES): Promise<CliResult> {
  const env = "env" in p && typeof p.env === "object" ? (p as Platform).env : (p as NodeJS.ProcessEnv);
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running `fizz` (e.g. `spec apply --watch`) whose output lines can be awaited in order. */
export interface FollowedCli {
  proc: ChildProcess;
  /** The next output line (after the last one matched) that matches `re`. */
  next(re: RegExp, timeoutMs?: number): Promise<string>;
  output(): string;
  /** SIGINT, then the exit. */
  stop(): Promise<void>;
}

export function followFizz(p: Pick<Platform, "env">, args: string[], cwd = FIXTURES): FollowedCli {
  const proc = spawn(process.execPath, [CLI, ...args], { env: p.env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let seen = 0;
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const next = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} in:\n${out}`)), timeoutMs);
      const check = () => {
        let offset = seen;
        for (const line of out.slice(seen).split("\n").slice(0, -1)) {
          offset += line.length + 1;
          if (re.test(line)) {
            seen = offset;
            clearTimeout(timer);
            return resolve(line);
          }
        }
        waiters.push(check);
      };
      check();
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once("exit", () => resolve());
      proc.kill("SIGINT");
    });
  return { proc, next, output: () => out, stop };
}

/** fizz, failing the test with the CLI's own words when it exits non-zero. */
export async function fizzOk(p: Platform, args: string[]): Promise<string> {
  const r = await fizz(p, args);
  if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Every process below pid, from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

/** Polls fn until it returns a truthy value or the time is up. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 5000, stepMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = new Error("condition still false");
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw last;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const r = await fetch(url, init);
  return { status: r.status, body: await r.text(), headers: r.headers };
}
