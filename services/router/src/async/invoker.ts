// Async invocation: a request with `X-Fizz-Invoke-Mode: async` is stored durably and answered
// 202 at once; a bounded set of workers runs it in the background through Proxy.handle — the
// same path a sync request takes — retrying 5xx, 429, timeouts and unreachable instances with
// exponential backoff. Where invocations are kept and how the next one is claimed is the
// InvocationQueue (queue.ts): this router's state dir (file-queue.ts: unfinished ones run again
// after a restart) or a Redis shared by every replica (redis-queue.ts).
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { INVOCATIONS_PATH, type Logger } from "@fizz/common";
import type { AsyncConfig } from "../config.js";
import { BodyTooLarge, ClientGone } from "../exchange.js";
import { sendError } from "../errors.js";
import { tooLarge, type Proxy } from "../proxy.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../recording/request-id.js";
import { CapturedResponse, describeFailure, readAll, StoredRequest, storedHeaders } from "./capture.js";
import {
  countedAttempts,
  INVOCATION_ATTEMPT_HEADER,
  INVOCATION_ID_HEADER,
  INVOKE_MODE_HEADER,
  type Attempt,
  type Invocation,
  type InvocationSummary,
} from "./invocation.js";
import { FileQueue } from "./file-queue.js";
import type { InvocationQueue, ListFilter } from "./queue.js";
import { RedisQueue } from "./redis-queue.js";

const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_HISTORY = 20;
export { INVOCATIONS_PATH };

type Options = AsyncConfig & { maxBodyBytes: number };

export class AsyncInvoker {
  readonly queue: InvocationQueue;
  private readonly inFlight = new Set<CapturedResponse>();
  private readonly runs = new Set<Promise<void>>();
  private reserved = 0;
  private pumping = false;
  private claiming: Promise<void> = Promise.resolve();
  private pumpAgain = false;
  private started = false;
  private stopping = false;
  private lastCreated = 0;

  constructor(
    private readonly o: Options,
    private readonly proxy: Proxy,
    private readonly log: Logger,
  ) {
    this.queue = o.redisUrl
      ? new RedisQueue({ url: o.redisUrl, leaseMs: o.leaseMs, pollMs: o.pollMs, retention: o.retention, retentionMs: o.retentionMs }, log)
      : new FileQueue(o, log);
  }

  /** Loads what the last run left or connects; due invocations run (call once routes are synced). */
  async start(): Promise<void> {
    await this.queue.start(() => this.pump());
    this.started = true;
    this.pump();
  }

  /** Interrupts running attempts (stored as queued, so the next start runs them again). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const res of this.inFlight) {
      res.interrupted = true;
      res.destroy();
    }
    await this.claiming;
    await Promise.all([...this.runs]);
    await this.queue.stop();
  }

  /** Every request that carries X-Fizz-Invoke-Mode comes here (the sync path never does). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const mode = String(req.headers[INVOKE_MODE_HEADER]).trim().toLowerCase();
    if (mode === "async") return this.accept(req, res);
    if (mode === "sync" || mode === "") return this.proxy.handle(req, res);
    const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    sendError(res, 400, "INVALID_ARGUMENT", `X-Fizz-Invoke-Mode must be "async" or "sync", not "${req.headers[INVOKE_MODE_HEADER]}"`, undefined, id);
    return Promise.resolve();
  }

  /** Newest first. */
  list(filter: ListFilter): Promise<InvocationSummary[]> {
    return this.queue.list(filter);
  }

  get(id: string): Promise<Invocation | undefined> {
    return this.queue.get(id);
  }

  stats() {
    return { running: this.inFlight.size, ...this.queue.stats() };
  }

  private async accept(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    const max = this.o.maxBodyBytes;
    const cl = req.headers["content-length"];
    if (cl !== undefined && Number(cl) > max) return tooLarge(res, max, requestId);
    if (!this.started || this.stopping) return sendError(res, 503, "UNAVAILABLE", "the router is not accepting async invocations right now (starting or stopping)", { "retry-after": "1" }, requestId);
    this.reserved++;
    try {
      await this.acceptInto(req, res, requestId);
    } finally {
      this.reserved--;
    }
  }

  private async acceptInto(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const max = this.o.maxBodyBytes;
    const cl = Number(req.headers["content-length"]) || 0;
    const usage = await this.usage(res, requestId);
    if (!usage) return;
    // This accept is among `reserved`, so concurrent accepts cannot overshoot the count (bytes
    // are checked again once the body is in).
    if (usage.unfinished + this.reserved > this.o.maxQueued || usage.bytes + cl > this.o.maxQueuedBytes) return queueFull(res, this.o, requestId);
    let body: Buffer;
    try {
      body = await readAll(req, max);
    } catch (err) {
      if (err instanceof BodyTooLarge) return tooLarge(res, max, requestId);
      if (err instanceof ClientGone) return;
      throw err;
    }
    const after = await this.usage(res, requestId);
    if (!after) return;
    if (after.bytes + body.length > this.o.maxQueuedBytes) return queueFull(res, this.o, requestId);
    const slot = this.proxy.functionFor(req.method ?? "GET", req.url ?? "/", req.headers.host);
    const inv: Invocation = {
      invocationId: randomUUID(),
      status: "queued",
      function: slot?.name ?? "",
      namespace: slot?.namespace ?? "",
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: storedHeaders(req),
      bodyBytes: body.length,
      createdAt: this.nextCreatedAt(),
      attempts: [],
    };
    try {
      // Durable before the 202: an accepted invocation survives a crash right after it.
      await this.queue.add(inv, body);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "storing an async invocation failed");
      return sendError(res, 503, "UNAVAILABLE", `could not store the invocation: ${(err as Error).message}`, undefined, requestId);
    }
    this.pump();
    const statusUrl = `${INVOCATIONS_PATH}/${inv.invocationId}`;
    const json = JSON.stringify({ invocationId: inv.invocationId, status: "queued", statusUrl });
    res.writeHead(202, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(json),
      location: statusUrl,
      [INVOCATION_ID_HEADER]: inv.invocationId,
      [REQUEST_ID_HEADER]: requestId,
    });
    res.end(json);
  }

  /** Now, but strictly after the previous one, so "newest first" is the order of acceptance. */
  private nextCreatedAt(): string {
    this.lastCreated = Math.max(Date.now(), this.lastCreated + 1);
    return new Date(this.lastCreated).toISOString();
  }

  /** The queue's usage, or undefined after answering 503 because it could not be read. */
  private async usage(res: ServerResponse, requestId: string): Promise<{ unfinished: number; bytes: number } | undefined> {
    try {
      return await this.queue.usage();
    } catch (err) {
      sendError(res, 503, "UNAVAILABLE", `could not store the invocation: ${(err as Error).message}`, undefined, requestId);
      return undefined;
    }
  }

  /** Claims and starts due invocations while workers are free; one claim loop at a time, and a
   * wake-up during it runs the loop again rather than getting lost. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pumpAgain = false;
    this.claiming = this.claimWhileFree()
      .catch((err: Error) => this.log.warn({ err: err.message }, "claiming an async invocation failed"))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) this.pump();
      });
  }

  private async claimWhileFree(): Promise<void> {
    while (this.started && !this.stopping && this.inFlight.size < this.o.concurrency) {
      const inv = await this.queue.claim();
      if (!inv) return;
      // Stopped while claiming: give it back, due now (another replica, or the next start, runs it).
      if (this.stopping) return this.persist("returning", () => this.queue.retryAt(inv, Date.now()));
      this.run(inv);
    }
  }

  private run(inv: Invocation): void {
    const res = new CapturedResponse(this.o.resultBytes);
    this.inFlight.add(res);
    const run = this.attempt(inv, res).catch((err: Error) => this.log.error({ err: err.message, invocation: inv.invocationId }, "async invocation attempt failed"));
    this.runs.add(run);
    void run.finally(() => {
      this.runs.delete(run);
      this.inFlight.delete(res);
      this.pump();
    });
  }

  /** One attempt, then the invocation's next state. */
  private async attempt(inv: Invocation, res: CapturedResponse): Promise<void> {
    const last = inv.attempts[inv.attempts.length - 1];
    // Claimed mid-attempt: its router went away (a crash; a clean stop already wrote "queued").
    if (last && !last.finishedAt) Object.assign(last, { interrupted: true, finishedAt: new Date().toISOString(), error: "interrupted: the router stopped" });
    const n = countedAttempts(inv) + 1;
    const a: Attempt = { attempt: n, requestId: `${inv.invocationId}.${n}`, startedAt: new Date().toISOString() };
    inv.attempts.push(a);
    if (inv.attempts.length > MAX_HISTORY) inv.attempts.splice(0, inv.attempts.length - MAX_HISTORY);
    inv.status = "running";
    inv.startedAt ??= a.startedAt;
    delete inv.nextAttemptAt;
    await this.persist("saving", () => this.queue.save(inv));

    let body: Buffer;
    try {
      body = await this.queue.body(inv);
    } catch (err) {
      return this.finish(inv, a, "failed", `the stored request body is unreadable: ${(err as Error).message}`);
    }
    const headers: IncomingHttpHeaders = { ...inv.headers, [REQUEST_ID_HEADER]: a.requestId, [INVOCATION_ID_HEADER]: inv.invocationId, [INVOCATION_ATTEMPT_HEADER]: String(n) };
    if (body.length) headers["content-length"] = String(body.length);
    const req = new StoredRequest(inv.method, inv.url, headers, body);
    // Stopped while the attempt was being prepared: the capture is already gone.
    if (!res.destroyed) {
      try {
        await this.proxy.handle(req, res, (fn) => {
          inv.function = fn.name;
          inv.namespace = fn.namespace;
        });
      } catch (err) {
        sendError(res, 500, "INTERNAL", (err as Error).message);
      }
      // Every path of handle() ends or destroys the response; never wait on one that did not.
      if (!res.writableEnded) res.destroy();
    }
    const complete = await res.settled;

    if (res.interrupted) {
      Object.assign(a, { interrupted: true, finishedAt: new Date().toISOString(), error: "interrupted: the router stopped" });
      inv.status = "queued";
      return this.persist("requeueing", () => this.queue.retryAt(inv, Date.now()));
    }
    a.finishedAt = new Date().toISOString();
    if (res.statusCode) a.statusCode = res.statusCode;
    inv.result = res.result();
    const status = res.statusCode;
    if (complete && status > 0 && status < 400) return this.finish(inv, a, "succeeded");
    const error = complete ? describeFailure(inv.result) : `the response was cut off after ${res.received} bytes`;
    const retryable = !complete || status >= 500 || status === 429;
    if (!retryable || n >= this.o.attempts) return this.finish(inv, a, "failed", error);
    a.error = inv.error = error;
    const wait = Math.min(this.o.backoffMs * 2 ** (n - 1), MAX_BACKOFF_MS);
    inv.status = "queued";
    inv.nextAttemptAt = new Date(Date.now() + wait).toISOString();
    await this.persist("requeueing", () => this.queue.retryAt(inv, Date.parse(inv.nextAttemptAt!)));
  }

  private async finish(inv: Invocation, a: Attempt, status: "succeeded" | "failed", error?: string): Promise<void> {
    a.finishedAt ??= new Date().toISOString();
    if (error) a.error = error;
    const done: Invocation = { ...inv, status, finishedAt: a.finishedAt, error };
    await this.persist("finishing", () => this.queue.finish(done));
  }

  /** A failed write is logged, not fatal: the file queue's memory stays right until a restart, and
   * a Redis invocation whose writes fail loses its lease and runs again elsewhere (at-least-once). */
  private async persist(what: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, `${what} async invocation state failed`);
    }
  }
}

function queueFull(res: ServerResponse, o: Options, requestId: string): void {
  const msg = `async invocation queue is full (at most ${o.maxQueued} invocations and ${o.maxQueuedBytes} request bytes may wait; FIZZ_ROUTER_ASYNC_QUEUE, FIZZ_ROUTER_ASYNC_QUEUE_BYTES)`;
  sendError(res, 503, "RESOURCE_EXHAUSTED", msg, { "retry-after": "1" }, requestId, "ASYNC_QUEUE_FULL");
}
