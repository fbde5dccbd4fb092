import type { IncomingHttpHeaders } from "node:http";
import type { FnInfo } from "../routes/types.js";
import type { RecorderInfo } from "./selector.js";

export const REDACTED = "[redacted]";

/** A finished pair, plain data: the shipper turns it into a protobuf Record off the request path. */
export interface PendingRecord {
  requestId: string;
  function: string;
  namespace: string;
  trigger: string;
  recorder: string;
  timestampMs: number;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: Uint8Array;
  requestBodyTruncated: boolean;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: Uint8Array;
  responseBodyTruncated: boolean;
  durationMs: number;
  traceId: string;
  retentionSeconds: number;
}

/** A body copy bounded at `max` bytes; bytes past it only set `truncated`. */
export class BodyCopy {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  add(chunk: Buffer): void {
    const room = this.max - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // Copied: upstream chunks may be views into buffers that get reused.
    this.chunks.push(Buffer.from(part));
    this.size += part.length;
  }

  reset(): void {
    this.chunks = [];
    this.size = 0;
    this.truncated = false;
  }

  bytes(): Uint8Array {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }

  get length(): number {
    return this.size;
  }
}

/**
 * One sampled request/response pair being captured: the request body as it streams upstream,
 * the response head and body as they stream to the client. Never changes either.
 */
export class Recording {
  readonly request: BodyCopy;
  readonly response: BodyCopy;
  private readonly started = performance.now();
  private readonly timestampMs = Date.now();
  private status = 0;
  private responseHeaders: IncomingHttpHeaders | undefined;

  constructor(
    readonly recorder: RecorderInfo,
    private readonly requestId: string,
    private readonly fn: FnInfo,
    private readonly triggerKey: string | undefined,
    private readonly method: string,
    private readonly url: string,
    private readonly requestHeaders: IncomingHttpHeaders,
  ) {
    this.request = new BodyCopy(recorder.maxBodyBytes);
    this.response = new BodyCopy(recorder.maxBodyBytes);
  }

  /** Wraps a request body so every chunk undici pulls is copied (same pace, same bytes). */
  async *tee(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    this.request.reset(); // a retried attempt starts over
    for await (const chunk of body) {
      this.request.add(chunk);
      yield chunk;
    }
  }

  onHead(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.responseHeaders = headers;
    this.response.reset();
  }

  /** The pair as sent; `finalStatus` is what the client got (router errors have no upstream head). */
  finish(finalStatus: number): PendingRecord {
    const r = this.recorder;
    const routerAnswered = this.status === 0 || this.status !== finalStatus;
    const tp = this.requestHeaders.traceparent;
    const traceId = typeof tp === "string" && tp.length >= 35 ? tp.slice(3, 35) : "";
    return {
      requestId: this.requestId,
      function: this.fn.name,
      namespace: this.fn.namespace,
      trigger: this.triggerKey === undefined ? "" : this.triggerKey.slice(this.triggerKey.indexOf("/") + 1),
      recorder: r.name,
      timestampMs: this.timestampMs,
      method: this.method,
      url: this.url,
      requestHeaders: flatten(this.requestHeaders, r.redact),
      requestBody: this.request.bytes(),
      requestBodyTruncated: this.request.truncated,
      status: finalStatus,
      responseHeaders: routerAnswered || !this.responseHeaders ? {} : flatten(this.responseHeaders, r.redact),
      responseBody: routerAnswered ? new Uint8Array(0) : this.response.bytes(),
      responseBodyTruncated: routerAnswered ? false : this.response.truncated,
      durationMs: performance.now() - this.started,
      traceId,
      retentionSeconds: r.retentionSeconds,
    };
  }
}

/** Headers as one string per name (repeats joined with ", "), redacted ones replaced. */
export function flatten(h: IncomingHttpHeaders, redact: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    out[k] = redact.has(k) ? REDACTED : typeof v === "string" ? v : v.join(", ");
  }
  return out;
}

/** Approximate memory a pending record holds (bodies dominate). */
export function sizeOf(r: PendingRecord): number {
  return r.requestBody.length + r.responseBody.length + r.url.length + 1024;
}
