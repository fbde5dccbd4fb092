// Calling the user function with Fission's context object.
//
//   async (context) => ({ status, body, headers })      sync functions returning the same
//   (context, callback) => callback(status, body, headers)   (chosen when fn.length >= 2, as Fission)
//   writing to context.response directly                  (then the runtime writes nothing)
//
// context.request is the node IncomingMessage itself, augmented with body, rawBody, query, path
// and params; context.response is the node ServerResponse. A function that throws or rejects
// gets a 500 `{"error":"function error: <message>"}`, with the stack on stderr.
import type { IncomingMessage, ServerResponse } from "node:http";
import { EMPTY, RequestError, hasBody, paramsOf, parseBody, parseQuery, readBody } from "./body.js";
import type { UserFunction } from "./loader.js";
import { logError, send, sendError, sendResult } from "./respond.js";

export interface FizzRequest extends IncomingMessage {
  /** Parsed body: object (JSON, form), string (text/*), Buffer (other types); {} or "" when empty. */
  body: unknown;
  /** The body bytes as received. */
  rawBody: Buffer;
  /** Query string parameters; repeated keys are arrays. */
  query: Record<string, string | string[]>;
  /** The URL path without the query string. */
  path: string;
  /** Path parameters forwarded by the router (X-Fizz-Params-* / X-Fission-Params-*). */
  params: Record<string, string>;
}

export interface Context {
  request: FizzRequest;
  response: ServerResponse;
  /**
   * The W3C trace context of this call (the router's invocation span) when tracing is on: a
   * function with its own OpenTelemetry SDK extracts it to join the trace. Same as
   * request.headers.traceparent; undefined when the request carries none.
   */
  traceparent: string | undefined;
}

/** Reads and parses the body (if any), then calls the function. Never rejects. */
export async function handleRequest(
  fn: UserFunction,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  qs: string,
  maxBodyBytes: number,
): Promise<void> {
  const r = req as FizzRequest;
  let raw: Buffer = EMPTY;
  if (hasBody(req)) {
    try {
      raw = await readBody(req, maxBodyBytes);
    } catch (err) {
      return refuse(res, err);
    }
  }
  try {
    r.body = parseBody(req.headers["content-type"], raw);
  } catch (err) {
    return refuse(res, err);
  }
  r.rawBody = raw;
  r.query = parseQuery(qs);
  r.path = path;
  r.params = paramsOf(req.rawHeaders);
  const tp = req.headers.traceparent;
  const context: Context = { request: r, response: res, traceparent: typeof tp === "string" ? tp : undefined };
  if (fn.length >= 2) return invokeWithCallback(fn, context, res);
  let result: unknown;
  try {
    result = fn(context);
    if (isThenable(result)) result = await result;
    sendResult(res, result);
  } catch (err) {
    functionFailed(res, err);
  }
}

function refuse(res: ServerResponse, err: unknown): void {
  if (err instanceof RequestError) {
    if (err.status === 413) res.setHeader("connection", "close");
    sendError(res, err.status, err.message);
  } else {
    // The client went away (or the socket failed) while sending its body.
    res.destroy();
  }
}

function invokeWithCallback(fn: UserFunction, context: Context, res: ServerResponse): void {
  let done = false;
  const callback = (status?: unknown, body?: unknown, headers?: unknown): void => {
    if (done) return;
    done = true;
    if (status instanceof Error) return functionFailed(res, status);
    try {
      send(res, status, body, headers);
    } catch (err) {
      functionFailed(res, err);
    }
  };
  const failed = (err: unknown): void => {
    if (done) return logError("function error after it responded", err);
    done = true;
    functionFailed(res, err);
  };
  try {
    const ret = fn(context, callback);
    if (isThenable(ret)) ret.then(undefined, failed);
  } catch (err) {
    failed(err);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    ((typeof v === "object" && v !== null) || typeof v === "function") &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

/** 500 with a short message; the full error goes to stderr. The runtime keeps serving. */
export function functionFailed(res: ServerResponse, err: unknown): void {
  logError("function error", err);
  const message = err instanceof Error ? err.message : String(err);
  sendError(res, 500, `function error: ${message}`);
}
