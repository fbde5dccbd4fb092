// Writing responses: the user's result ({status, body, headers}) and the runtime's own errors.
//
// Body rules (express `res.send`-compatible defaults; an explicit content-type header wins):
//   string -> text/html; charset=utf-8         Buffer / Uint8Array / ArrayBuffer -> application/octet-stream
//   Node Readable (has .pipe) -> piped as is   web ReadableStream (has .getReader) -> piped
//   undefined / null -> empty body             anything else -> JSON, application/json; charset=utf-8
import type { ServerResponse } from "node:http";
import { Readable, pipeline } from "node:stream";

const JSON_TYPE = "application/json; charset=utf-8";

/** Writes `{error: message}` with `status` (used for everything the runtime itself refuses). */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Writes a body that is already serialized (known, constant responses). */
export function sendRaw(res: ServerResponse, status: number, contentType: string, body: Buffer): void {
  res.writeHead(status, { "content-type": contentType, "content-length": body.length });
  res.end(body);
}

const CONTRACT_KEYS = ["status", "body", "headers", "statusCode"];

/**
 * Sends what an async/sync function returned. Nothing is written when the function already
 * started the response itself through context.response. A returned object that has none of
 * status/body/headers (or a string, Buffer, stream...) is taken as the body.
 */
export function sendResult(res: ServerResponse, result: unknown): void {
  if (res.headersSent || res.writableEnded) return;
  if (result === undefined || result === null) {
    res.end(); // keeps whatever statusCode/headers the function set on context.response
    return;
  }
  if (typeof result === "object" && !isBodyLike(result) && CONTRACT_KEYS.some((k) => k in result)) {
    const r = result as { status?: unknown; statusCode?: unknown; body?: unknown; headers?: unknown };
    send(res, r.status ?? r.statusCode, r.body, r.headers);
  } else {
    send(res, undefined, result, undefined);
  }
}

function isBodyLike(v: object): boolean {
  return v instanceof Uint8Array || v instanceof ArrayBuffer || Array.isArray(v) || typeof (v as Readable).pipe === "function";
}

/** Fission's callback(status, body, headers) and the result object both end up here. */
export function send(res: ServerResponse, status: unknown, body: unknown, headers: unknown): void {
  if (res.headersSent || res.writableEnded) return;
  res.statusCode = statusOf(status);
  if (typeof headers === "object" && headers !== null) {
    const h = headers as Record<string, unknown>;
    for (const name in h) {
      const v = h[name];
      if (v === undefined || v === null) continue;
      res.setHeader(name, typeof v === "number" || Array.isArray(v) ? (v as number | string[]) : String(v));
    }
  }
  if (body === undefined || body === null) {
    res.end();
    return;
  }
  if (typeof body === "string") {
    if (!res.hasHeader("content-type")) res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(body);
    return;
  }
  if (typeof body === "object") {
    if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
      if (!res.hasHeader("content-type")) res.setHeader("content-type", "application/octet-stream");
      res.end(body instanceof ArrayBuffer ? Buffer.from(body) : body);
      return;
    }
    if (typeof (body as Readable).pipe === "function") {
      pipeBody(res, body as Readable);
      return;
    }
    if (typeof (body as { getReader?: unknown }).getReader === "function") {
      pipeBody(res, Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]));
      return;
    }
  }
  const json = JSON.stringify(body);
  if (!res.hasHeader("content-type")) res.setHeader("content-type", JSON_TYPE);
  res.end(json);
}

function statusOf(status: unknown): number {
  if (status === undefined || status === null || status === 0 || status === "") return 200;
  const n = typeof status === "number" ? status : Number(status);
  if (!Number.isInteger(n) || n < 100 || n > 999) throw new TypeError(`invalid status code ${String(status)}`);
  return n;
}

/** Streams a body; a client that leaves destroys the source, a failing source ends the response. */
function pipeBody(res: ServerResponse, body: Readable): void {
  if (!res.hasHeader("content-type")) res.setHeader("content-type", "application/octet-stream");
  pipeline(body, res, onPipeDone);
}

function onPipeDone(err: NodeJS.ErrnoException | null): void {
  // pipeline already destroyed both ends; a client that left early is not worth a log line.
  if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE") logError("response stream failed", err);
}

/** Logs to stderr (with the stack); the runtime never logs per successful request. */
export function logError(what: string, err: unknown): void {
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  process.stderr.write(`fizz-runtime: ${what}: ${detail}\n`);
}
