import type { IncomingHttpHeaders } from "node:http";
import type { FnInfo } from "../routes/types.js";
import type { RecorderInfo } from "./selector.js";

export const REDACTED = "[redacted]";
const NO_HEADERS: RecordHeaders = Object.freeze({});

/** Headers as node and undici give them; recorded one entry per name, repeats joined with ", ". */
export type RecordHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** A finished pair as views of what the exchange already holds: the shipper encodes it at once. */
export interface PendingRecord {
  requestId: string;
  function: string;
  namespace: string;
  trigger: string;
  recorder: string;
  timestampMs: number;
  method: string;
  url: string;
  requestHeaders: RecordHeaders;
  requestBody: Uint8Array;
  requestBodyTruncated: boolean;
  status: number;
  responseHeaders: RecordHeaders;
  responseBody: Uint8Array;
  responseBodyTruncated: boolean;
  durationMs: number;
  traceId: string;
  retentionSeconds: number;
  /** Lower-case names of headers (request and response) whose values are recorded as REDACTED. */
  redact?: ReadonlySet<string>;
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
      requestHeaders: this.requestHeaders,
      requestBody: this.request.bytes(),
      requestBodyTruncated: this.request.truncated,
      status: finalStatus,
      responseHeaders: routerAnswered || !this.responseHeaders ? NO_HEADERS : this.responseHeaders,
      responseBody: routerAnswered ? new Uint8Array(0) : this.response.bytes(),
      responseBodyTruncated: routerAnswered ? false : this.response.truncated,
      durationMs: performance.now() - this.started,
      traceId,
      retentionSeconds: r.retentionSeconds,
      redact: r.redact,
    };
  }
}
