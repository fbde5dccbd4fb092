// The runtime's HTTP server: Fission's environment contract.
//   GET  /healthz         -> 200 "OK", always
//   POST /specialize      -> v1: load ${userFuncDir}/user (file, or directory with package.json/index.js)
//   POST /v2/specialize   -> v2: {filepath, functionName}, see loader.ts
//   anything else         -> the user function once specialized; before that 500 {"error": ...}
// Specializing answers 202 {"durationMs": n}; a load failure answers 500 {"error": message} and
// leaves the runtime generic (it may be specialized again); a second specialization is 409.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { RequestError, hasBody, readBody, specializeRequest } from "./body.js";
import { handleRequest } from "./invoke.js";
import { closeGracefully, listen } from "./lifecycle.js";
import { LoadError, loadFunction, type UserFunction } from "./loader.js";
import { logError, sendError, sendRaw } from "./respond.js";

export interface RuntimeServerOptions {
  /** Where v1 specialize finds `user`, and what relative v2 filepaths are resolved against. */
  userFuncDir?: string;
  /** Request bodies above this many bytes are refused with 413 before the function runs. */
  maxBodyBytes?: number;
  /** Keep-alive idle timeout; longer than the router's pool keeps idle sockets. */
  keepAliveTimeoutMs?: number;
}

export interface RuntimeServer {
  readonly server: Server;
  /** True once a function is loaded. */
  readonly specialized: boolean;
  /** Listens; resolves with the address actually bound (port 0 = ephemeral). */
  listen(port: number, host: string): Promise<{ host: string; port: number }>;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then drops the rest. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_USERFUNC_DIR = "/userfunc";

const OK = Buffer.from("OK");
const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
const NOT_SPECIALIZED = Buffer.from(JSON.stringify({ error: "runtime is not specialized: POST /v2/specialize first" }));

export function createRuntimeServer(opts: RuntimeServerOptions = {}): RuntimeServer {
  const userFuncDir = opts.userFuncDir ?? DEFAULT_USERFUNC_DIR;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let fn: UserFunction | undefined;
  let specializing = false;

  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    const method = req.method;
    if (pathname === "/healthz" && (method === "GET" || method === "HEAD")) return sendRaw(res, 200, TEXT, OK);
    if (method === "POST" && (pathname === "/v2/specialize" || pathname === "/specialize")) {
      return void specialize(req, res, pathname === "/specialize");
    }
    if (fn === undefined) return sendRaw(res, 500, JSON_TYPE, NOT_SPECIALIZED);
    void handleRequest(fn, req, res, pathname, q < 0 ? "" : url.slice(q + 1), maxBodyBytes);
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  // Must outlast keepAliveTimeout, or a request arriving just before the idle deadline can be cut.
  server.headersTimeout = server.keepAliveTimeout + 5_000;
  server.requestTimeout = 0; // function timeouts are the router's business

  async function specialize(req: IncomingMessage, res: ServerResponse, v1: boolean): Promise<void> {
    if (fn !== undefined || specializing) return sendError(res, 409, "already specialized");
    specializing = true;
    const started = performance.now();
    try {
      let filepath: string;
      let functionName = "";
      if (v1) {
        if (hasBody(req)) await readBody(req, 1024 * 1024); // ignored, but drained
        filepath = path.join(userFuncDir, "user");
      } else {
        ({ filepath, functionName } = await specializeRequest(req));
        filepath = path.resolve(userFuncDir, filepath);
      }
      const loaded = await loadFunction(filepath, functionName);
      fn = loaded.fn;
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const body = JSON.stringify({ specialized: true, file: loaded.file, durationMs });
      res.writeHead(202, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) });
      res.end(body);
    } catch (err) {
      if (err instanceof RequestError) return sendError(res, err.status, err.message);
      logError("specialize failed", err);
      const message = err instanceof LoadError ? err.message : `cannot load function: ${String(err)}`;
      sendError(res, 500, message);
    } finally {
      specializing = false;
    }
  }

  return {
    server,
    get specialized() {
      return fn !== undefined;
    },
    listen(port, host) {
      return listen(server, port, host);
    },
    close(graceMs = 3_000) {
      return closeGracefully(server, graceMs);
    },
  };
}
