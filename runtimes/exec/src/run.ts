// One request, one process: the program runs in its own process group with the request body on
// stdin and the request in its environment; its stdout (buffered, up to a limit) is the response.
// Its stderr goes straight to the runtime's stderr, which is the function's log.
//
// The process group is killed (SIGKILL) when the run times out, when the client goes away, when
// the output grows past the limit, and when the program exits, so nothing it started in the
// background outlives the request. (A program that calls setsid() itself escapes this.)
import { spawn } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import type { Program } from "./entry.js";

export interface RunRequest {
  method: string;
  /** URL path, still percent-encoded. */
  path: string;
  /** Query string without "?". */
  query: string;
  headers: IncomingHttpHeaders;
  remoteAddress?: string;
  body: Buffer;
}

export type RunResult =
  | { kind: "ok"; output: Buffer }
  | { kind: "failed"; code: number | null; signal: NodeJS.Signals | null; stderrTail: string }
  | { kind: "timeout" }
  | { kind: "too-large" }
  | { kind: "spawn-error"; message: string }
  | { kind: "aborted" };

export interface RunOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  /** The environment every run starts from (the runtime's own, minus its settings). */
  baseEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** Process groups of the runs in flight, so the runtime can kill them when it exits. */
export const running = new Set<number>();

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

export function runProgram(program: Program, req: RunRequest, o: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(program.command, program.args, { cwd: program.cwd, env: requestEnv(o.baseEnv, req), stdio: "pipe", detached: true });
    } catch (err) {
      return resolve({ kind: "spawn-error", message: (err as Error).message });
    }
    const pid = child.pid;
    let outcome: "timeout" | "too-large" | "aborted" | undefined;
    let settled = false;
    const stop = (why: typeof outcome) => {
      outcome ??= why;
      if (pid) killGroup(pid);
    };
    const finish = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (pid) running.delete(pid);
      resolve(r);
    };
    const timer = o.timeoutMs > 0 ? setTimeout(() => stop("timeout"), o.timeoutMs) : undefined; // 0: none
    const onAbort = () => stop("aborted");
    if (o.signal?.aborted) stop("aborted");
    else o.signal?.addEventListener("abort", onAbort, { once: true });
    if (pid) running.add(pid);

    const out: Buffer[] = [];
    let size = 0;
    child.stdout.on("data", (c: Buffer) => {
      size += c.length;
      if (size > o.maxOutputBytes) return stop("too-large");
      out.push(c);
    });
    let tail = "";
    child.stderr.on("data", (c: Buffer) => {
      process.stderr.write(c);
      tail = (tail + c.toString("utf8")).slice(-2000);
    });
    // A program that does not read its stdin makes the write fail with EPIPE: that is fine.
    child.stdin.on("error", () => undefined);
    child.stdin.end(req.body);

    child.once("error", (err: NodeJS.ErrnoException) => {
      if (pid === undefined) finish({ kind: "spawn-error", message: err.code ?? err.message });
    });
    // Whatever the program left running in its group would hold the pipes open: kill it.
    child.once("exit", () => pid && killGroup(pid));
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      if (outcome) return finish({ kind: outcome });
      if (code === 0) return finish({ kind: "ok", output: out.length === 1 ? out[0]! : Buffer.concat(out, size) });
      finish({ kind: "failed", code, signal, stderrTail: tail });
    });
  });
}

// The runtime's own settings and Node's IPC variables are not the program's business (a Node
// program would try to use a channel it does not have).
const NOT_INHERITED = new Set(["PORT", "HOST", "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "NODE_UNIQUE_ID"]);

/** The runtime's environment minus its own settings: what every run starts from. */
export function baseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (NOT_INHERITED.has(k) || (k.startsWith("FIZZ_") && k !== "FIZZ_USERFUNC_DIR")) continue;
    out[k] = v;
  }
  return out;
}

const envName = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "_");
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(", ") : v);

/**
 * FIZZ_* variables (see README.md) and the CGI/1.1 meta-variables, so both new programs and old
 * CGI scripts find the request where they look for it.
 */
export function requestEnv(base: NodeJS.ProcessEnv, r: RunRequest): NodeJS.ProcessEnv {
  const h = r.headers;
  let pathInfo = r.path;
  try {
    pathInfo = decodeURIComponent(r.path);
  } catch {
    /* keep it encoded */
  }
  const env: NodeJS.ProcessEnv = {
    ...base,
    FIZZ_METHOD: r.method,
    FIZZ_PATH: r.path,
    FIZZ_QUERY: r.query,
    FIZZ_URL: r.query ? `${r.path}?${r.query}` : r.path,
    FIZZ_REQUEST_ID: one(h["x-fizz-request-id"]) ?? "",
    FIZZ_FUNCTION_NAME: one(h["x-fizz-function-name"]) ?? "",
    FIZZ_FUNCTION_NAMESPACE: one(h["x-fizz-function-namespace"]) ?? "",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_SOFTWARE: "fizz-exec",
    SERVER_PROTOCOL: "HTTP/1.1",
    REQUEST_METHOD: r.method,
    SCRIPT_NAME: "",
    PATH_INFO: pathInfo,
    QUERY_STRING: r.query,
    REMOTE_ADDR: r.remoteAddress ?? "",
  };
  if (r.body.length > 0 || h["content-length"] !== undefined) env.CONTENT_LENGTH = String(r.body.length);
  if (h["content-type"] !== undefined) env.CONTENT_TYPE = h["content-type"];
  for (const [name, value] of Object.entries(h)) {
    const v = one(value);
    if (v === undefined) continue;
    const n = envName(name);
    env[`FIZZ_HEADER_${n}`] = v;
    // CGI: HTTP_<NAME>; never HTTP_PROXY, which programs would take as their proxy ("httpoxy").
    if (n !== "PROXY" && n !== "CONTENT_TYPE" && n !== "CONTENT_LENGTH") env[`HTTP_${n}`] = v;
    if (n.startsWith("X_FIZZ_PARAMS_") && n.length > 14) env[`FIZZ_PARAM_${n.slice(14)}`] = v;
    else if (n.startsWith("X_FISSION_PARAMS_") && n.length > 17) env[`FIZZ_PARAM_${n.slice(17)}`] ??= v;
  }
  return env;
}
