import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { Recording } from "./recording/recording.js";

/** Thrown into the upstream request when a chunked body grows past the limit. */
export class BodyTooLarge extends Error {
  readonly code = "FIZZ_BODY_TOO_LARGE";
}

/** Thrown into the upstream request when our client went away. */
export class ClientGone extends Error {
  readonly code = "FIZZ_CLIENT_GONE";
}

/**
 * The request the proxy reads: node's IncomingMessage, or an async invocation's stored request
 * (async/capture.ts). Types only: the sync path still gets node's own objects.
 */
export type ProxyRequest = Readable & {
  readonly url?: string | undefined;
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
};

/** Where the proxy writes the answer: node's ServerResponse, or an async invocation's capture. */
export interface ProxyResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  writeHead(status: number, headers: string[] | Record<string, string | number>): unknown;
  write(chunk: Buffer): boolean;
  end(body?: string): unknown;
  destroy(): unknown;
  once(event: "close" | "drain" | "finish", listener: () => void): unknown;
}

// Connection-level headers that must not be forwarded either way (RFC 9110 §7.6.1), plus
// `expect` (undici rejects it; node answers 100-continue itself).
export const HOP_BY_HOP: Readonly<Record<string, true>> = Object.assign(Object.create(null), {
  connection: true,
  "keep-alive": true,
  "proxy-connection": true,
  "transfer-encoding": true,
  te: true,
  trailer: true,
  upgrade: true,
  "proxy-authenticate": true,
  "proxy-authorization": true,
  expect: true,
});

// Not passed on from the function's response: the router sets its own X-Fizz-Request-Id.
const RESPONSE_SKIP: Readonly<Record<string, true>> = Object.assign(Object.create(null), HOP_BY_HOP, { "x-fizz-request-id": true });

/**
 * One upstream attempt as an undici dispatch handler: streams the response straight into the
 * client's response with backpressure. `done` gets undefined when the response completed (or
 * failed after it started, which is final), else the error from before any response byte.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  started = false;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private finished = false;

  constructor(
    private readonly res: ProxyResponse,
    private readonly done: (err: Error | undefined) => void,
    private readonly requestId: string,
    /** Set only for sampled requests: gets a copy of the head and body, changes nothing. */
    private readonly rec: Recording | undefined,
  ) {}

  abort(reason: Error): void {
    if (this.finished) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return; // informational; the final response follows
    const flat: string[] = [];
    for (const k in headers) {
      if (RESPONSE_SKIP[k]) continue;
      const v = headers[k];
      if (v === undefined) continue;
      if (typeof v === "string") flat.push(k, v);
      else for (const x of v) flat.push(k, x);
    }
    flat.push("x-fizz-request-id", this.requestId);
    if (this.rec) this.rec.onHead(status, headers);
    this.started = true;
    this.res.writeHead(status, flat);
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.rec) this.rec.onData(chunk);
    if (!this.res.write(chunk)) {
      c.pause();
      this.res.once("drain", () => c.resume());
    }
  }

  onResponseEnd(): void {
    this.finished = true;
    this.res.end();
    this.done(undefined);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.finished = true;
    if (this.started) {
      // Too late for an error status: cut the client's response so it sees the truncation.
      this.res.destroy();
      this.done(undefined);
      return;
    }
    this.done(this.abortReason ?? err);
  }
}

/**
 * A chunked request body as an async iterable that fails with BodyTooLarge past `max` bytes.
 * Reads with read() rather than the stream's iterator, which would destroy the socket on throw
 * and leave no way to answer 413. Nothing is read until undici pulls, so a refused connection
 * leaves the body untouched for the next attempt.
 */
export async function* limitedBody(req: Readable, max: number): AsyncGenerator<Buffer> {
  let total = 0;
  for (;;) {
    const chunk = req.read() as Buffer | null;
    if (chunk === null) {
      if (req.readableEnded) return;
      if (req.destroyed) throw new ClientGone("client closed the request");
      await readable(req);
      continue;
    }
    total += chunk.length;
    if (total > max) throw new BodyTooLarge(`request body exceeds ${max} bytes`);
    yield chunk;
  }
}

function readable(req: Readable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off("readable", done);
      req.off("end", done);
      req.off("close", done);
      resolve();
    };
    req.on("readable", done);
    req.on("end", done);
    req.on("close", done);
  });
}
