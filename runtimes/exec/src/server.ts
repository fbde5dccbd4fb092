// The exec runtime's HTTP server: Fission's environment contract, with a program per request.
//   GET  /healthz         -> 200 "OK", always
//   POST /specialize      -> v1: ${userFuncDir}/user (a file, or a directory holding one)
//   POST /v2/specialize   -> v2: {filepath, functionName}, see entry.ts
//   anything else         -> runs the program once specialized; before that 500 {"error": ...}
// The program's answer (run.ts, cgi.ts): exit 0 -> its stdout, with an optional CGI header
// block; a non-zero exit or a signal -> 500; past the timeout -> 504; all with {"error": ...}.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { EMPTY, RequestError, hasBody, readBody, specializeRequest } from "@fizz/runtime-nodejs/body";
import { closeGracefully, listen } from "@fizz/runtime-nodejs/lifecycle";
import { logError, sendError, sendRaw } from "@fizz/runtime-nodejs/respond";
import type { RuntimeServer } from "@fizz/runtime-nodejs/server";
import { parseOutput } from "./cgi.js";
import { LoadError, resolveProgram, type Program } from "./entry.js";
import { runProgram, type RunResult } from "./run.js";

export interface ExecServerOptions {
  /** Where v1 specialize finds `user`, and what relative v2 filepaths are resolved against. */
  userFuncDir?: string;
  /** Request bodies above this many bytes are refused with 413 before the program runs. */
  maxBodyBytes?: number;
  /** A run taking longer is killed (its whole process group) and answered 504. */
  timeoutMs?: number;
  /** A program writing more than this to stdout is killed and answered 500. */
  maxOutputBytes?: number;
  /** The environment runs start from; default: this process's, minus the runtime's settings. */
  env?: NodeJS.ProcessEnv;
  keepAliveTimeoutMs?: number;
}

/** The same surface as the Node.js runtime's server. */
export type ExecServer = RuntimeServer;

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

const OK = Buffer.from("OK");
const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
const NOT_SPECIALIZED = Buffer.from(JSON.stringify({ error: "runtime is not specialized: POST /v2/specialize first" }));
// Framing is ours to decide: the program's own values for these would corrupt the response.
const DROPPED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

export function createExecServer(opts: ExecServerOptions = {}): ExecServer {
  const userFuncDir = opts.userFuncDir ?? "/userfunc";
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const runOpts = {
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxOutputBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    baseEnv: opts.env ?? {},
  };
  let program: Program | undefined;
  let specializing = false;

  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname === "/healthz" && (req.method === "GET" || req.method === "HEAD")) return sendRaw(res, 200, TEXT, OK);
    if (req.method === "POST" && (pathname === "/v2/specialize" || pathname === "/specialize")) {
      return void specialize(req, res, pathname === "/specialize");
    }
    if (program === undefined) return sendRaw(res, 500, JSON_TYPE, NOT_SPECIALIZED);
    void call(program, req, res, pathname, q < 0 ? "" : url.slice(q + 1));
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 5_000;
  server.requestTimeout = 0; // runs have their own timeout

  async function specialize(req: IncomingMessage, res: ServerResponse, v1: boolean): Promise<void> {
    if (program !== undefined || specializing) return sendError(res, 409, "already specialized");
    specializing = true;
    const started = performance.now();
    try {
      let filepath = path.join(userFuncDir, "user");
      let functionName = "";
      if (v1) {
        if (hasBody(req)) await readBody(req, 1024 * 1024);
      } else {
        ({ filepath, functionName } = await specializeRequest(req));
        filepath = path.resolve(userFuncDir, filepath);
      }
      program = await resolveProgram(filepath, functionName);
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const body = JSON.stringify({ specialized: true, file: program.file, durationMs });
      res.writeHead(202, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) });
      res.end(body);
    } catch (err) {
      if (err instanceof RequestError) return sendError(res, err.status, err.message);
      logError("specialize failed", err);
      sendError(res, 500, err instanceof LoadError ? err.message : `cannot load function: ${String(err)}`);
    } finally {
      specializing = false;
    }
  }

  async function call(p: Program, req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void> {
    let body = EMPTY;
    try {
      if (hasBody(req)) body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof RequestError) return sendError(res, err.status, err.message);
      return void res.destroy();
    }
    // The client leaving (the router gives up at the function's timeout) ends the run too.
    const gone = new AbortController();
    res.once("close", () => !res.writableFinished && gone.abort());
    const result = await runProgram(
      p,
      { method: req.method ?? "GET", path: pathname, query, headers: req.headers, remoteAddress: req.socket.remoteAddress, body },
      { ...runOpts, signal: gone.signal },
    );
    respond(p, req, res, result);
  }

  function respond(p: Program, req: IncomingMessage, res: ServerResponse, r: RunResult): void {
    const name = path.basename(p.file);
    switch (r.kind) {
      case "aborted":
        return;
      case "ok": {
        const out = parseOutput(r.output);
        const headers: Array<[string, string]> = out.headers.filter(([n]) => !DROPPED.has(n.toLowerCase()));
        headers.push(["content-length", String(out.body.length)]);
        res.writeHead(out.status, out.reason, headers.flat());
        return void res.end(req.method === "HEAD" ? undefined : out.body);
      }
      case "failed": {
        const why = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
        logError("function error", `${name} ${why}`);
        const last = r.stderrTail.trim().split("\n").pop()?.slice(0, 500);
        return sendError(res, 500, `function error: ${name} ${why}${last ? `: ${last}` : ""}`);
      }
      case "timeout":
        logError("function error", `${name} did not finish within ${runOpts.timeoutMs} ms; killed`);
        return sendError(res, 504, `function error: ${name} did not finish within ${runOpts.timeoutMs} ms`);
      case "too-large":
        logError("function error", `${name} wrote more than ${runOpts.maxOutputBytes} bytes; killed`);
        return sendError(res, 500, `function error: ${name} wrote more than ${runOpts.maxOutputBytes} bytes to stdout`);
      case "spawn-error": {
        const hint = r.message === "ENOENT" && p.command === p.file ? " (is the interpreter on its #! line installed?)" : "";
        logError("function error", `cannot run ${p.file}: ${r.message}${hint}`);
        return sendError(res, 500, `function error: cannot run ${name}: ${r.message}${hint}`);
      }
    }
  }

  return {
    server,
    get specialized() {
      return program !== undefined;
    },
    listen(port, host) {
      return listen(server, port, host);
    },
    close(graceMs = 3_000) {
      return closeGracefully(server, graceMs);
    },
  };
}
