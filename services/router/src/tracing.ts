// The router's spans: one server span per function request (parent: the client's traceparent),
// a client span per upstream attempt whose context goes to the function as `traceparent` (the
// "function invocation" span), and the executor lookup on a cache miss (router.ts). Reached only
// when TRACING is on; attributes are bounded (method, trigger, function, namespace, status).
import { SpanKind, activeContext, contextWith, extract, failSpan, getActiveSpan, inject, runIn, tracer, type Span } from "@fizz/telemetry";
import type { ProxyRequest, ProxyResponse } from "./exchange.js";
import type { FnInfo } from "./routes/types.js";

/** Runs one request inside its server span, which ends when the response closes. */
export function traceRequest(req: ProxyRequest, res: ProxyResponse, run: () => Promise<void>): Promise<void> {
  const parent = extract(req.headers);
  const method = req.method ?? "GET";
  const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { "http.request.method": method } }, parent);
  res.once("close", () => {
    if (res.headersSent || res.writableEnded) {
      span.setAttribute("http.response.status_code", res.statusCode);
      if (res.statusCode >= 500) failSpan(span, new Error(`status ${res.statusCode}`));
    } else failSpan(span, new Error("client closed the connection"));
    span.end();
  });
  return runIn(contextWith(parent, span), run);
}

/** Names the request span after its route once the function is known: `GET <trigger>` or `GET /fizz-function/<fn>`. */
export function tagRequest(fn: FnInfo, trigger: string | undefined, method: string): void {
  const span = getActiveSpan();
  // Async attempts run later, possibly under the (ended) span of the request that queued them.
  if (!span?.isRecording()) return;
  span.updateName(`${method} ${trigger ?? `/fizz-function/${fn.name}`}`);
  span.setAttributes({ "fizz.function": fn.name, "fizz.namespace": fn.namespace, "fizz.trigger": trigger ?? "" });
}

/** Starts the span of one upstream attempt and puts its context into the request headers. */
export function invokeSpan(fn: FnInfo, address: string, headers: Record<string, string | string[]>): Span {
  const span = tracer.startSpan(`invoke ${fn.name}`, {
    kind: SpanKind.CLIENT,
    attributes: { "fizz.function": fn.name, "fizz.namespace": fn.namespace, "server.address": address },
  });
  inject(headers, undefined, contextWith(activeContext(), span));
  return span;
}

/** Ends an attempt's span; `err` = the attempt failed before the function answered. */
export function endInvoke(span: Span, err: Error | undefined): void {
  if (err) failSpan(span, err);
  span.end();
}
