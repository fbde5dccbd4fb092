// Runs one build command in its own process group, so a timeout or a stopping builder can kill
// everything it started (npm's children, a backgrounded sleep), not just the shell.
import { spawn } from "node:child_process";
import { delimiter, dirname } from "node:path";
import type { BoundedLog } from "./log.js";

export interface RunOptions {
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  log: BoundedLog;
  /** Aborting kills the process group (the builder is stopping). */
  signal?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Pid of the shell, which is also the process group id. */
  pid?: number;
}

// Variables of the builder's own process that must not steer the user's build.
const DROP = [/^NODE_OPTIONS$/, /^NODE_ENV$/, /^FIZZ_/, /^npm_lifecycle_/, /^npm_package_/, /^npm_(?:execpath|node_execpath|command)$/, /^INIT_CWD$/, /^JEST_WORKER_ID$/];

/** The build's environment: the builder's (minus the above), node's directory first on PATH, and the Fission variables. */
export function buildEnv(base: NodeJS.ProcessEnv, src: string, deploy: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !DROP.some((re) => re.test(k))) env[k] = v;
  env.PATH = [dirname(process.execPath), base.PATH].filter(Boolean).join(delimiter);
  env.SRC_PKG = src;
  env.DEPLOY_PKG = deploy;
  env.npm_config_update_notifier = "false";
  return env;
}

export function runCommand(o: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", o.script], { cwd: o.cwd, env: o.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let timedOut = false;
    let aborted = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
    // Both streams feed one log, in arrival order (interleaved as a terminal would show them).
    child.stdout.on("data", (c: Buffer) => o.log.write(c));
    child.stderr.on("data", (c: Buffer) => o.log.write(c));
    let settled = false;
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      // A daemon left behind by the build would keep the pipes open: the build is over, so
      // it goes with the group.
      killGroup();
      resolve({ code, signal, timedOut, aborted, pid: child.pid });
    };
    child.on("error", (err) => {
      o.log.line(`cannot run the build command: ${err.message}`);
      done(null, null);
    });
    // "close" waits for the pipes to drain; "exit" plus a grace period covers a grandchild
    // that escaped the group and still holds them.
    child.on("close", (code, signal) => done(code, signal));
    child.on("exit", (code, signal) => setTimeout(() => done(code, signal), 2000).unref());
  });
}
