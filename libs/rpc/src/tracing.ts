// Trace context over gRPC metadata: the client sends the active context (`traceparent`), the
// server continues it in a span per unary call. Callers reach here only when TRACING is on.
import type * as grpc from "@grpc/grpc-js";
import { SpanKind, extract, hasParent, inject, withSpan, type TextMapGetter, type TextMapSetter } from "@fizz/telemetry";

const setter: TextMapSetter<grpc.Metadata> = { set: (md, key, value) => md.set(key, value) };
const getter: TextMapGetter<grpc.Metadata> = {
  keys: (md) => Object.keys(md.getMap()),
  get: (md, key) => {
    const v = md.get(key);
    return v.length ? v.map(String) : undefined;
  },
};

/** Adds the active trace context (if any) to outgoing metadata. */
export function injectMetadata(md: grpc.Metadata): grpc.Metadata {
  inject(md, setter);
  return md;
}

/**
 * Runs a unary handler in a server span when the caller sent a trace context. Calls without one
 * (taps, watches' relists, the CLI) start no trace of their own: the traces worth following
 * start at the router.
 */
export function traceCall<T>(path: string, md: grpc.Metadata, run: () => Promise<T>): Promise<T> {
  const parent = extract(md, getter);
  if (!hasParent(parent)) return run();
  const slash = path.lastIndexOf("/");
  const attributes = { "rpc.system": "grpc", "rpc.service": path.slice(1, slash), "rpc.method": path.slice(slash + 1) };
  return withSpan(path.slice(1), run, attributes, SpanKind.SERVER, parent);
}
