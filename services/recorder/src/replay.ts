// Replay: re-sends a recorded request through the router's internal function route, to the
// recorded function or another one, and compares the new response with the recorded one.
//
// Which path the function sees: a record keeps only the URL the client used. When the request
// came through the internal route (no trigger, url under /fizz-function/<fn>), the rest of that
// path is kept ("/fizz-function/v2/items?x=1"). When it came through an HTTPTrigger the trigger's
// path cannot be undone here, so only the query string is kept ("/fizz-function/v2?x=1").
import { create } from "@bufbuild/protobuf";
import { request } from "undici";
import { ReplayResultSchema, type Record as RecordMsg, type ReplayRequest, type ReplayResult } from "@fizz/proto";
import { DEFAULT_NAMESPACE, FizzError, checkName, functionPath, invalid, notFound, precondition, unavailable } from "@fizz/common";
import { compareResponses } from "./compare.js";
import type { RecordStore } from "./store/store.js";

export const REDACTED = "[redacted]";
/** Sent with every replayed request, so routers can tell replays apart (and not record them). */
export const REPLAY_HEADER = "x-fizz-replay-of";

const DROPPED = new Set([
  "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
  "transfer-encoding", "upgrade", "host", "content-length", "x-fizz-request-id",
]);

/** The path and query to send, under the internal route of the target function. */
export function replayPath(rec: RecordMsg, toFunction: string, toNamespace: string): string {
  const url = rec.url || "/";
  const q = url.indexOf("?");
  const query = q >= 0 ? url.slice(q) : "";
  let rest = "";
  if (!rec.trigger) {
    const path = q >= 0 ? url.slice(0, q) : url;
    const ns = rec.namespace || DEFAULT_NAMESPACE;
    for (const prefix of [functionPath(ns, rec.function), functionPath(ns, rec.function).replace("/fizz-function/", "/fission-function/")]) {
      if (path === prefix || path.startsWith(`${prefix}/`)) {
        rest = path.slice(prefix.length);
        break;
      }
    }
  }
  return `${functionPath(toNamespace, toFunction)}${rest}${query}`;
}

/** Recorded request headers minus hop-by-hop ones, Host, Content-Length and redacted values. */
export function replayHeaders(rec: RecordMsg): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec.requestHeaders)) {
    const name = k.toLowerCase();
    if (DROPPED.has(name) || v === REDACTED) continue;
    out[name] = v;
  }
  out[REPLAY_HEADER] = rec.requestId;
  return out;
}

const lowerKeys = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

export interface ReplayOptions {
  routerUrl: string;
  timeoutMs: number;
}

export async function replay(store: RecordStore, req: ReplayRequest, opts: ReplayOptions): Promise<ReplayResult> {
  if (!req.requestId) throw invalid("request_id is required");
  const rec = await store.get(req.requestId);
  if (!rec) throw notFound(`record ${req.requestId} not found (it may have expired)`);
  if (rec.requestBodyTruncated)
    throw precondition(`record ${req.requestId} kept only part of its request body, so it cannot be replayed faithfully`, "BODY_TRUNCATED");
  const fn = req.toFunction || rec.function;
  const namespace = req.namespace || rec.namespace || DEFAULT_NAMESPACE;
  checkName(fn, "to_function");
  checkName(namespace, "namespace");
  const url = `${opts.routerUrl}${replayPath(rec, fn, namespace)}`;
  const method = (rec.method || "GET").toUpperCase();
  const hasBody = rec.requestBody.length > 0 && method !== "GET" && method !== "HEAD";
  const started = performance.now();
  let status: number;
  let headers: Record<string, string>;
  let body: Uint8Array;
  try {
    const res = await request(url, {
      method: method as "GET",
      headers: replayHeaders(rec),
      body: hasBody ? Buffer.from(rec.requestBody) : undefined,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    status = res.statusCode;
    headers = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
    body = new Uint8Array(await res.body.arrayBuffer());
  } catch (err) {
    if (err instanceof FizzError) throw err;
    throw unavailable(`replaying ${req.requestId} through the router at ${opts.routerUrl} failed: ${(err as Error).message}`, "ROUTER_UNREACHABLE");
  }
  const durationMs = performance.now() - started;
  const { same, differences } = compareResponses(
    { status: rec.status, headers: lowerKeys(rec.responseHeaders), body: rec.responseBody, bodyTruncated: rec.responseBodyTruncated },
    { status, headers, body },
    { ignoreFields: req.ignoreFields, compareHeaders: req.compareHeaders },
  );
  return create(ReplayResultSchema, { original: rec, status, headers, body, durationMs, same, differences });
}
