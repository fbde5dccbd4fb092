import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import type { Logger } from "@fizz/common";
import type { WarmCache, Instance } from "./cache/warm.js";
import type { RouteTable } from "./routes/table.js";
import type { FnInfo, FnSlot, Match } from "./routes/types.js";
import type { ExecutorApi } from "./executor.js";
import type { Taps } from "./taps.js";
import { BodyTooLarge, ClientGone, Exchange, HOP_BY_HOP, limitedBody, type ProxyRequest, type ProxyResponse } from "./exchange.js";
import { sendError, sendExecutorError } from "./errors.js";
import { REPLAY_HEADER, REQUEST_ID_HEADER, requestIdOf } from "./recording/request-id.js";
import { Recording } from "./recording/recording.js";
import type { RecorderIndex } from "./recording/selector.js";
import type { Shipper } from "./recording/shipper.js";
import { TRACING } from "@fizz/telemetry";
import { endInvoke, invokeSpan, tagRequest } from "./tracing.js";
import { CLIENT_CLOSED, type RouterMetrics } from "./metrics.js";

export interface ProxyOptions {
  table: () => RouteTable;
  cache: WarmCache;
  executor: Pick<ExecutorApi, "reportUnreachable">;
  taps: Taps;
  maxBodyBytes: number;
  retry: { attempts: number; initialBackoffMs: number };
  log: Logger;
  /** Which requests are recorded (compiled on Informer events); none when omitted. */
  recorders?: () => RecorderIndex;
  /** Where recorded pairs go; required for recording. */
  shipper?: Shipper;
  /** Per-function request metrics; none when FIZZ_METRICS=off. */
  metrics?: RouterMetrics;
}

// Connecting failed: the request never reached the function, so another instance may take it.
const REFUSED = new Set(["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
// The connection dropped before any response byte: stale keep-alive socket, or the instance died.
const RESET = new Set(["ECONNRESET", "UND_ERR_SOCKET", "EPIPE"]);

type Body = Readable | AsyncIterable<Buffer> | null;

/** Matches a request, gets an instance from the warm cache and streams the exchange with undici. */
export class Proxy {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly o: ProxyOptions) {}

  /** `onFunction` (async invocations) learns which function the route picked. */
  async handle(req: ProxyRequest, res: ProxyResponse, onFunction?: (fn: FnInfo) => void): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    const m = this.o.table().match(method, path, req.headers.host);
    // Metrics: plain numbers on the function's own object (metrics.ts), settled once at the end.
    const fm = m?.slot.fn ? m.slot.fn.metrics : this.o.metrics?.unknown;
    if (!fm) return void (await this.forward(req, res, m, url, q, path, method, id, onFunction, false));
    fm.inFlight++;
    const began = performance.now();
    let upstreamMs = 0;
    try {
      upstreamMs = await this.forward(req, res, m, url, q, path, method, id, onFunction, true);
    } finally {
      fm.done(method, res.headersSent || res.writableEnded ? res.statusCode : CLIENT_CLOSED, began, upstreamMs);
    }
  }

  /** The request after matching; resolves with the ms spent waiting on the function (when `timed`). */
  private async forward(
    req: ProxyRequest,
    res: ProxyResponse,
    m: Match | undefined,
    url: string,
    q: number,
    path: string,
    method: string,
    id: string,
    onFunction: ((fn: FnInfo) => void) | undefined,
    timed: boolean,
  ): Promise<number> {
    let upstreamMs = 0;
    if (!m) return sendError(res, 404, "NOT_FOUND", `no route for ${method} ${path}`, undefined, id), 0;
    const fn = m.slot.fn;
    if (!fn) return sendError(res, 404, "NOT_FOUND", `function "${m.slot.name}" not found in namespace "${m.slot.namespace}"`, undefined, id), 0;
    if (onFunction) onFunction(fn);
    if (TRACING) tagRequest(fn, m.trigger, method);

    const max = this.o.maxBodyBytes;
    const cl = req.headers["content-length"];
    const chunked = cl === undefined && req.headers["transfer-encoding"] !== undefined;
    if (cl !== undefined && Number(cl) > max) return tooLarge(res, max, id), 0;

    // Recording is decided here, without I/O; with no recorder at all this is one property read.
    const recorders = this.o.recorders?.();
    // Replays the recorder sends (x-fizz-replay-of) are not recorded again.
    const picked =
      recorders && !recorders.empty && this.o.shipper && req.headers[REPLAY_HEADER] === undefined ? recorders.select(fn.key, m.trigger) : undefined;
    const rec = picked ? new Recording(picked, id, fn, m.trigger, method, url, req.headers) : undefined;
    const hasBody = chunked || (cl !== undefined && cl !== "0");
    const body = (): Body =>
      rec && hasBody ? rec.tee(limitedBody(req, max)) : chunked ? limitedBody(req, max) : hasBody ? req : null;

    const headers = forwardHeaders(req, fn, m.params);
    headers[REQUEST_ID_HEADER] = id;
    const target = q < 0 ? m.path : m.path + url.slice(q);

    // The client leaving aborts whatever attempt is in flight.
    let current: Exchange | undefined;
    let gone = false;
    res.once("close", () => {
      if (res.writableFinished) return;
      gone = true;
      current?.abort(new ClientGone("client closed the connection"));
    });
    try {
      let backoff = this.o.retry.initialBackoffMs;
      let resetRetried = false;
      for (let attempt = 1; ; attempt++) {
        let inst: Instance;
        try {
          inst = this.o.cache.tryAcquire(fn) ?? (await this.o.cache.acquire(fn));
        } catch (err) {
          return sendExecutorError(res, err, id), upstreamMs;
        }
        if (gone) return this.o.cache.release(inst), upstreamMs;
        this.o.taps.add(inst.address);
        headers["x-fizz-function-resourceversion"] = inst.resourceVersion || fn.resourceVersion;

        const sent = timed ? performance.now() : 0;
        const span = TRACING ? invokeSpan(fn, inst.address, headers) : undefined;
        const err = await new Promise<Error | undefined>((resolve) => {
          const e = new Exchange(res, resolve, id, rec);
          current = e;
          this.pool(inst.address).dispatch(
            {
              method,
              path: target,
              headers,
              // undici streams async iterables too; its typings only list Readable.
              body: body() as Readable | null,
              headersTimeout: fn.spec.functionTimeoutMs,
              bodyTimeout: fn.spec.functionTimeoutMs,
            },
            e,
          );
          if (gone) e.abort(new ClientGone("client closed the connection"));
        });
        if (span) endInvoke(span, err);
        if (timed) upstreamMs += performance.now() - sent;
        this.o.cache.release(inst);
        current = undefined;
        if (!err || gone) return upstreamMs;

        const code = (err as { code?: string }).code ?? "";
        if (err instanceof BodyTooLarge) return tooLarge(res, max, id), upstreamMs;
        if (code === "UND_ERR_HEADERS_TIMEOUT") {
          const msg = `function ${fn.name} did not respond within ${fn.spec.functionTimeoutMs / 1000} s`;
          return sendError(res, 504, "DEADLINE_EXCEEDED", msg, undefined, id), upstreamMs;
        }
        const bodyRead = req.readableDidRead;
        const more = attempt < this.o.retry.attempts && !bodyRead;
        if (REFUSED.has(code) && more) {
          // Tell the executor first so the fresh address we ask for is not the dead one again.
          await this.unreachable(fn, inst.address);
        } else if (RESET.has(code) && more && !resetRetried) {
          resetRetried = true;
        } else {
          if (REFUSED.has(code) || RESET.has(code)) void this.unreachable(fn, inst.address);
          const why = REFUSED.has(code) ? "is unreachable" : RESET.has(code) ? "closed the connection without responding" : `failed: ${err.message}`;
          return sendError(res, 502, "UNAVAILABLE", `function ${fn.name} ${why}`, undefined, id), upstreamMs;
        }
        await sleep(backoff);
        backoff *= 2;
        if (gone) return upstreamMs;
      }
    } finally {
      // Recorded once the response is complete, whoever answered it; not when it was cut off or
      // the client left. Here rather than on "finish": no listener or closure per request.
      if (rec && !gone && res.writableEnded) this.o.shipper!.push(rec.finish(res.statusCode));
    }
  }

  /** The function a request would go to now (weighted routes: one pick), without proxying. */
  functionFor(method: string, url: string, host: string | undefined): FnSlot | undefined {
    const q = url.indexOf("?");
    return this.o.table().match(method, q < 0 ? url : url.slice(0, q), host)?.slot;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }

  private pool(address: string): Pool {
    let p = this.pools.get(address);
    if (!p) {
      p = new Pool(`http://${address}`, { pipelining: 1, connect: { timeout: 5000 } });
      this.pools.set(address, p);
    }
    return p;
  }

  /** Drops the address here and reports it; failures of the report are only logged. */
  private async unreachable(fn: FnInfo, address: string): Promise<void> {
    this.o.cache.remove(fn, address);
    const p = this.pools.get(address);
    if (p) {
      this.pools.delete(address);
      void p.close().catch(() => undefined);
    }
    try {
      await this.o.executor.reportUnreachable({ function: fn.ref, address }, { timeoutMs: 2000 });
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message, address }, "reportUnreachable failed");
    }
  }
}

export function tooLarge(res: ProxyResponse, max: number, id: string): void {
  // The unread body stays on the socket: close it after answering.
  sendError(res, 413, "PAYLOAD_TOO_LARGE", `request body exceeds ${max} bytes`, { connection: "close" }, id);
}

/** The client's headers minus hop-by-hop ones, plus the function's identity and path params. */
function forwardHeaders(req: ProxyRequest, fn: FnInfo, params: string[] | undefined): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  const src = req.headers;
  for (const k in src) {
    if (HOP_BY_HOP[k]) continue;
    const v = src[k];
    if (v !== undefined) h[k] = v;
  }
  const ip = req.socket.remoteAddress;
  if (ip) h["x-forwarded-for"] = src["x-forwarded-for"] ? `${src["x-forwarded-for"]}, ${ip}` : ip;
  h["x-fizz-function-name"] = fn.name;
  h["x-fizz-function-namespace"] = fn.namespace;
  if (params) {
    for (let i = 0; i < params.length; i += 2) {
      const name = params[i]!;
      h[`x-fizz-params-${name}`] = params[i + 1]!;
      h[`x-fission-params-${name}`] = params[i + 1]!;
    }
  }
  return h;
}
