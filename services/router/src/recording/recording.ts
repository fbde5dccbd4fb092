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

const NO_BYTES = new Uint8Array(0);

/**
 * A body kept up to `max` bytes; bytes past it only set `truncated`. Most bodies are one chunk,
 * held as it is. With `copy` false chunks are kept by reference: undici's response chunks are
 * views of the socket's read buffers, which node allocates per read and never reuses (undici 7,
 * client-h1 execute/wasm_on_body), and nothing writes to them.
 */
export class BodyCopy {
  private first: Uint8Array = NO_BYTES;
  private more: Buffer[] | undefined;
  private size = 0;
  truncated = false;

  constructor(
    private readonly max: number,
    private readonly copy = true,
  ) {}

  add(chunk: Buffer): void {
    const room = this.max - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    let part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (this.copy) part = Buffer.from(part);
    if (this.size === 0) this.first = part;
    else (this.more ??= []).push(part);
    this.size += part.length;
  }

  bytes(): Uint8Array {
    return this.more ? Buffer.concat([this.first, ...this.more], this.size) : this.first;
  }
}

/**
 * One sampled request/response pair being captured: the request body as it streams upstream,
 * the response head and body as they stream to the client. Never changes either. It is its own
 * PendingRecord: finish() fills the last fields and the shipper encodes straight from them, so a
 * recorded request allocates this object and a response BodyCopy per pair (bench/record-path).
 */
export class Recording implements PendingRecord {
  readonly function: string;
  readonly namespace: string;
  readonly trigger: string;
  readonly recorder: string;
  readonly timestampMs = Date.now();
  readonly traceId: string;
  readonly retentionSeconds: number;
  readonly redact: ReadonlySet<string>;
  requestBody: Uint8Array = NO_BYTES;
  requestBodyTruncated = false;
  status = 0;
  responseHeaders: RecordHeaders = NO_HEADERS;
  responseBody: Uint8Array = NO_BYTES;
  responseBodyTruncated = false;
  durationMs = 0;
  private readonly started = performance.now();
  /** Only for requests with a body (tee). */
  private request: BodyCopy | undefined;
  /** Set by the upstream head; each attempt starts over. */
  private response: BodyCopy | undefined;
  private readonly maxBody: number;

  constructor(
    recorder: RecorderInfo,
    readonly requestId: string,
    fn: FnInfo,
    triggerKey: string | undefined,
    readonly method: string,
    readonly url: string,
    readonly requestHeaders: IncomingHttpHeaders,
  ) {
    this.function = fn.name;
    this.namespace = fn.namespace;
    this.trigger = triggerKey === undefined ? "" : triggerKey.slice(triggerKey.indexOf("/") + 1);
    this.recorder = recorder.name;
    this.retentionSeconds = recorder.retentionSeconds;
    this.redact = recorder.redact;
    this.maxBody = recorder.maxBodyBytes;
    const tp = requestHeaders.traceparent;
    this.traceId = typeof tp === "string" && tp.length >= 35 ? tp.slice(3, 35) : "";
  }

  /** Wraps a request body so every chunk undici pulls is copied (same pace, same bytes). */
  async *tee(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const copy = (this.request = new BodyCopy(this.maxBody)); // a retried attempt starts over
    for await (const chunk of body) {
      copy.add(chunk);
      yield chunk;
    }
  }

  onHead(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.responseHeaders = headers;
    this.response = new BodyCopy(this.maxBody, false);
  }

  onData(chunk: Buffer): void {
    this.response!.add(chunk);
  }

  /** Completes the pair; `finalStatus` is what the client got (router errors have no upstream head). */
  finish(finalStatus: number): PendingRecord {
    const routerAnswered = this.status === 0 || this.status !== finalStatus;
    this.status = finalStatus;
    if (this.request) {
      this.requestBody = this.request.bytes();
      this.requestBodyTruncated = this.request.truncated;
    }
    if (routerAnswered || !this.response) {
      this.responseHeaders = NO_HEADERS;
    } else {
      this.responseBody = this.response.bytes();
      this.responseBodyTruncated = this.response.truncated;
    }
    this.durationMs = performance.now() - this.started;
    return this;
  }
}
