// Async invocation: a request with `X-Fizz-Invoke-Mode: async` is stored durably and answered
// 202 at once; a bounded set of workers runs it in the background through Proxy.handle — the
// same path a sync request takes — retrying 5xx, 429, timeouts and unreachable instances with
// exponential backoff. State survives restarts (store.ts): unfinished invocations run again,
// finished ones stay queryable within the retention.
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
  isFinished,
  summaryOf,
  type Attempt,
  type Invocation,
  type InvocationSummary,
} from "./invocation.js";
import { InvocationStore } from "./store.js";
import { Retention } from "./retention.js";

const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_HISTORY = 20;
export { INVOCATIONS_PATH };

type Options = AsyncConfig & { maxBodyBytes: number };

export class AsyncInvoker {
  readonly store: InvocationStore;
  /** Unfinished invocations, in full; finished ones live in `retention` as summaries. */
  private readonly live = new Map<string, Invocation>();
  private readonly retention: Retention;
  private readonly ready: Invocation[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<CapturedResponse>();
  private readonly runs = new Set<Promise<void>>();
  private queuedBytes = 0;
  private reserved = 0;
  private started = false;
  private stopping = false;
  private lastCreated = 0;

  constructor(
    private readonly o: Options,
    private readonly proxy: Proxy,
    private readonly log: Logger,
  ) {
    this.store = new InvocationStore(o.dir, log);
    this.retention = new Retention(o.retention, o.retentionMs, (id) => this.store.remove(id), log);
  }

  /** Loads what the last run left; unfinished invocations run again (call once routes are synced). */
  async start(): Promise<void> {
    const loaded = await this.store.load();
    const finished = loaded.filter((inv) => isFinished(inv.status)).map(summaryOf);
    for (const s of finished.sort((a, b) => (a.finishedAt ?? "").localeCompare(b.finishedAt ?? ""))) this.retention.add(s);
    for (const inv of loaded) {
      if (isFinished(inv.status)) continue;
      if (inv.status === "running") {
        // The router went away mid-attempt (a crash: a clean stop already wrote "queued").
        const last = inv.attempts[inv.attempts.length - 1];
        if (last && !last.finishedAt) Object.assign(last, { interrupted: true, finishedAt: new Date().toISOString(), error: "interrupted: the router stopped" });
        inv.status = "queued";
      }
      this.enqueue(inv, true);
    }
    this.retention.start();
    this.started = true;
    this.pump();
    if (this.live.size || this.retention.size) this.log.info({ unfinished: this.live.size, finished: this.retention.size }, "async invocations loaded");
  }

  /** Interrupts running attempts (stored as queued, so the next start runs them again). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.retention.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const res of this.inFlight) {
      res.interrupted = true;
      res.destroy();
    }
    await Promise.all([...this.runs]);
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
  list(filter: { function?: string; namespace?: string; status?: string; limit: number }): InvocationSummary[] {
    const keep = (s: InvocationSummary) =>
      (!filter.function || s.function === filter.function) && (!filter.namespace || s.namespace === filter.namespace) && (!filter.status || s.status === filter.status);
    const all = [...this.retention.summaries(), ...[...this.live.values()].map(summaryOf)];
    all.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return all.filter(keep).slice(0, filter.limit);
  }

  async get(id: string): Promise<Invocation | undefined> {
    const live = this.live.get(id);
    if (live) return live;
    return this.retention.has(id) ? this.store.get(id) : undefined;
  }

  stats() {
    return { queued: this.ready.length, running: this.inFlight.size, unfinished: this.live.size, finished: this.retention.size, queuedBytes: this.queuedBytes };
  }

  private async accept(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    const max = this.o.maxBodyBytes;
    const cl = req.headers["content-length"];
    if (cl !== undefined && Number(cl) > max) return tooLarge(res, max, requestId);
    if (!this.started || this.stopping) return sendError(res, 503, "UNAVAILABLE", "the router is not accepting async invocations right now (starting or stopping)", { "retry-after": "1" }, requestId);
    // Slots are reserved before the body is read, so concurrent accepts cannot overshoot the count
    // (bytes are checked again once the body is in).
    const full = this.live.size + this.reserved >= this.o.maxQueued || this.queuedBytes + (Number(cl) || 0) > this.o.maxQueuedBytes;
    if (full) return queueFull(res, this.o, requestId);
    this.reserved++;
    let body: Buffer;
    try {
      body = await readAll(req, max);
    } catch (err) {
      this.reserved--;
      if (err instanceof BodyTooLarge) return tooLarge(res, max, requestId);
      if (err instanceof ClientGone) return;
      throw err;
    }
    if (this.queuedBytes + body.length > this.o.maxQueuedBytes) {
      this.reserved--;
      return queueFull(res, this.o, requestId);
    }
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
      if (body.length) await this.store.saveBody(inv.invocationId, body);
      await this.store.save(inv);
    } catch (err) {
      this.reserved--;
      void this.store.remove(inv.invocationId).catch(() => undefined);
      this.log.error({ err: (err as Error).message }, "storing an async invocation failed");
      return sendError(res, 503, "UNAVAILABLE", `could not store the invocation: ${(err as Error).message}`, undefined, requestId);
    }
    this.reserved--;
    this.enqueue(inv, false);
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

  private enqueue(inv: Invocation, loaded: boolean): void {
    this.live.set(inv.invocationId, inv);
    this.queuedBytes += inv.bodyBytes;
    const due = inv.nextAttemptAt ? Date.parse(inv.nextAttemptAt) - Date.now() : 0;
    if (loaded && due > 0) this.later(inv, due);
    else this.ready.push(inv);
  }

  private later(inv: Invocation, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.ready.push(inv);
      this.pump();
    }, ms);
    this.timers.add(t);
  }

  private pump(): void {
    while (this.started && !this.stopping && this.inFlight.size < this.o.concurrency && this.ready.length) {
      const inv = this.ready.shift()!;
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
  }

  /** One attempt, then the invocation's next state. */
  private async attempt(inv: Invocation, res: CapturedResponse): Promise<void> {
    const n = countedAttempts(inv) + 1;
    const a: Attempt = { attempt: n, requestId: `${inv.invocationId}.${n}`, startedAt: new Date().toISOString() };
    inv.attempts.push(a);
    if (inv.attempts.length > MAX_HISTORY) inv.attempts.splice(0, inv.attempts.length - MAX_HISTORY);
    inv.status = "running";
    inv.startedAt ??= a.startedAt;
    delete inv.nextAttemptAt;
    await this.persist(inv);

    let body: Buffer;
    try {
      body = await this.store.body(inv);
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
      return this.persist(inv);
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
    await this.persist(inv);
    if (!this.stopping) this.later(inv, wait);
  }

  private async finish(inv: Invocation, a: Attempt, status: "succeeded" | "failed", error?: string): Promise<void> {
    a.finishedAt ??= new Date().toISOString();
    if (error) a.error = error;
    const done: Invocation = { ...inv, status, finishedAt: a.finishedAt, error };
    await this.persist(done);
    // In one synchronous step, so a reader sees it either running or finished and retained.
    this.live.delete(inv.invocationId);
    this.queuedBytes -= inv.bodyBytes;
    this.retention.add(summaryOf(done));
    await this.store.dropBody(inv.invocationId).catch(() => undefined);
  }

  /** A failed write is logged, not fatal: memory stays right until a restart. */
  private async persist(inv: Invocation): Promise<void> {
    try {
      await this.store.save(inv);
    } catch (err) {
      this.log.error({ err: (err as Error).message, invocation: inv.invocationId }, "saving async invocation state failed");
    }
  }
}

function queueFull(res: ServerResponse, o: Options, requestId: string): void {
  const msg = `async invocation queue is full (at most ${o.maxQueued} invocations and ${o.maxQueuedBytes} request bytes may wait; FIZZ_ROUTER_ASYNC_QUEUE, FIZZ_ROUTER_ASYNC_QUEUE_BYTES)`;
  sendError(res, 503, "RESOURCE_EXHAUSTED", msg, { "retry-after": "1" }, requestId, "ASYNC_QUEUE_FULL");
}
