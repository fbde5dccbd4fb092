// Manual spans over @opentelemetry/api. Every helper is a plain call when TRACING is false.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import { TRACING } from "./tracing.js";

export { SpanKind, type Attributes, type Context, type Span, type TextMapGetter, type TextMapSetter };

/** The one tracer Fizz's own spans come from (the service is in the resource, not here). */
export const tracer = trace.getTracer("fizz");

/** Marks a span failed with the error's message (and FizzError code when there is one). */
export function failSpan(span: Span, err: unknown): void {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (typeof e?.code === "string") span.setAttribute("fizz.error.code", e.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * Runs `fn` inside a new span (child of `parent`, default the active context) that ends when
 * its promise settles; a rejection marks the span failed and is passed on unchanged.
 */
export function withSpan<T>(
  name: string,
  fn: () => Promise<T>,
  attributes?: Attributes,
  kind: SpanKind = SpanKind.INTERNAL,
  parent: Context = context.active(),
): Promise<T> {
  if (!TRACING) return fn();
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  return context.with(trace.setSpan(parent, span), fn).then(
    (v) => {
      span.end();
      return v;
    },
    (err: unknown) => {
      failSpan(span, err);
      span.end();
      throw err;
    },
  );
}

/** The context a carrier (headers, gRPC metadata) propagates, ROOT when it carries none. */
export function extract<C>(carrier: C, getter?: TextMapGetter<C>): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

/** Whether `ctx` has a remote or local parent span (a trace to join). */
export const hasParent = (ctx: Context): boolean => trace.getSpanContext(ctx) !== undefined;

/** Writes `ctx` (default: the active one) into a carrier: `traceparent`, and `tracestate`/`baggage` when set. */
export function inject<C>(carrier: C, setter?: TextMapSetter<C>, ctx: Context = context.active()): void {
  propagation.inject(ctx, carrier, setter);
}

/**
 * Runs `fn` inside a client span (child of `parent`) whose context is first written into
 * `headers`, so the service called joins the trace. A plain call when tracing is off.
 */
export function withClientSpan<T>(
  name: string,
  headers: Record<string, string>,
  fn: () => Promise<T>,
  attributes?: Attributes,
  parent: Context = context.active(),
): Promise<T> {
  if (!TRACING) return fn();
  return withSpan(name, () => (inject(headers), fn()), attributes, SpanKind.CLIENT, parent);
}

/** `ctx` with `span` as its current span (for inject, withSpan's parent, context.with). */
export const contextWith = (ctx: Context, span: Span): Context => trace.setSpan(ctx, span);

/** The active context and its span (undefined outside any span). */
export const activeContext = (): Context => context.active();
export const getActiveSpan = (): Span | undefined => trace.getActiveSpan();

/** Runs `fn` with `ctx` as the active context. */
export const runIn = <T>(ctx: Context, fn: () => T): T => context.with(ctx, fn);
