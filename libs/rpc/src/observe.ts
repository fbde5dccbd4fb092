// Per-call observation of a server's handlers (metrics): each call's method, gRPC status name and
// duration, reported when it finishes. Wraps the implementation, so the transport code is untouched.
import * as grpc from "@grpc/grpc-js";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { toServiceError } from "./status.js";

/** `code` is the gRPC status name ("OK", "NOT_FOUND", …); `seconds` the handler's run time. */
export type RpcObserver = (method: string, code: string, seconds: number) => void;

const codeName = (err: unknown) => grpc.status[toServiceError(err).code ?? grpc.status.UNKNOWN] ?? "UNKNOWN";

/** The implementation with every handler reporting to `onCall`; unchanged without one. */
export function observed(service: DescService, impl: Record<string, Function>, onCall: RpcObserver | undefined): Record<string, Function> {
  if (!onCall) return impl;
  const out: Record<string, Function> = { ...impl };
  for (const m of service.methods as DescMethod[]) {
    const fn = impl[m.localName];
    if (!fn) continue;
    const done = (t0: number, code: string) => onCall(m.name, code, (performance.now() - t0) / 1000);
    out[m.localName] =
      m.methodKind === "server_streaming"
        ? async function* (this: unknown, ...args: unknown[]) {
            const t0 = performance.now();
            try {
              yield* fn.apply(this, args) as AsyncIterable<unknown>;
              done(t0, "OK");
            } catch (err) {
              done(t0, codeName(err));
              throw err;
            }
          }
        : async function (this: unknown, ...args: unknown[]) {
            const t0 = performance.now();
            try {
              const res: unknown = await fn.apply(this, args);
              done(t0, "OK");
              return res;
            } catch (err) {
              done(t0, codeName(err));
              throw err;
            }
          };
  }
  return out;
}
