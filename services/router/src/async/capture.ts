// The two ends Proxy.handle talks to when it runs an async invocation: a stored request that
// reads like a client's, and a response that is captured instead of sent. They let the
// background attempt take exactly the sync path (route match, weights, headers, timeouts,
// connection retries, recording) with no branch on that path.
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { Readable, Writable } from "node:stream";
import { HOP_BY_HOP, limitedBody } from "../exchange.js";
import { BodyCopy } from "../recording/recording.js";
import { REQUEST_ID_HEADER } from "../recording/request-id.js";
import { INVOKE_MODE_HEADER, type InvocationResult } from "./invocation.js";

/** An invocation's request, replayed from disk. */
export class StoredRequest extends Readable {
  readonly socket = { remoteAddress: undefined };

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    body: Buffer,
  ) {
    super();
    if (body.length) this.push(body);
    this.push(null);
  }

  override _read(): void {}
}

// Not kept from the function's answer: cookies are not for whoever polls the status.
const SKIP_HEADERS = new Set(["set-cookie", "x-fizz-request-id"]);
const MAX_HEADERS = 64;

/** A response captured up to `maxBodyBytes`; `settled` says whether it completed. */
export class CapturedResponse extends Writable {
  statusCode = 0;
  headersSent = false;
  readonly headers: Record<string, string> = {};
  private readonly body: BodyCopy;
  private bytes = 0;
  /** Set before destroy() when the router stops: the attempt is not the function's failure. */
  interrupted = false;
  /** true once the whole response arrived; false when it was cut off (or never started). */
  readonly settled: Promise<boolean>;

  constructor(maxBodyBytes: number) {
    super();
    this.body = new BodyCopy(maxBodyBytes);
    // Writes after a stop's destroy() fail harmlessly; the attempt is already marked interrupted.
    this.on("error", () => undefined);
    this.settled = new Promise((resolve) => {
      this.once("finish", () => resolve(true));
      this.once("close", () => resolve(this.writableFinished));
    });
  }

  writeHead(status: number, headers: string[] | Record<string, string | number>): this {
    this.statusCode = status;
    this.headersSent = true;
    const add = (k: string, v: string) => {
      const name = k.toLowerCase();
      if (SKIP_HEADERS.has(name) || Object.keys(this.headers).length >= MAX_HEADERS) return;
      this.headers[name] = name in this.headers ? `${this.headers[name]}, ${v}` : v;
    };
    if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i]!, headers[i + 1]!);
    else for (const k in headers) add(k, String(headers[k]));
    return this;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.body.add(chunk);
    cb();
  }

  /** Bytes received (the body kept may be shorter). */
  get received(): number {
    return this.bytes;
  }

  result(): InvocationResult {
    const b = Buffer.from(this.body.bytes());
    const text = b.toString("utf8");
    // Text when it round-trips as UTF-8 (a cut in the middle of a character does not count).
    const isText = !text.slice(0, -1).includes("\ufffd") && !/[\u0000-\u0008\u000e-\u001f]/.test(text);
    return {
      statusCode: this.statusCode,
      headers: this.headers,
      body: isText ? text : b.toString("base64"),
      bodyEncoding: isText ? "utf8" : "base64",
      truncated: this.body.truncated,
    };
  }
}

/** The whole request body, failing with BodyTooLarge past `max` bytes. */
export async function readAll(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of limitedBody(req, max)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The headers every attempt sends: the client's minus connection-level and per-attempt ones. */
export function storedHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  for (const k in req.headers) {
    if (HOP_BY_HOP[k] || k === INVOKE_MODE_HEADER || k === REQUEST_ID_HEADER || k === "content-length") continue;
    const v = req.headers[k];
    if (v !== undefined) h[k] = v;
  }
  // The client's address is fixed now: later attempts have no client socket.
  const ip = req.socket.remoteAddress;
  if (ip) h["x-forwarded-for"] = req.headers["x-forwarded-for"] ? `${req.headers["x-forwarded-for"]}, ${ip}` : ip;
  return h;
}

/** "HTTP 404: function "x" not found …" — the router's (or function's) `error` field when it has one. */
export function describeFailure(r: { statusCode: number; body: string; bodyEncoding: string }): string {
  if (r.bodyEncoding === "utf8") {
    try {
      const doc = JSON.parse(r.body) as { error?: unknown; code?: unknown; reason?: unknown };
      if (typeof doc.error === "string") return `HTTP ${r.statusCode} ${[doc.code, doc.reason].filter((x) => typeof x === "string").join("/")}: ${doc.error}`.replace(" :", ":");
    } catch {
      // not JSON
    }
    const text = r.body.trim();
    if (text) return `HTTP ${r.statusCode}: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
  }
  return `HTTP ${r.statusCode}`;
}
