import * as grpc from "@grpc/grpc-js";
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import type { GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { splitHostPort, type Logger } from "@fizz/common";
import { codec } from "./codec.js";
import { toServiceError } from "./status.js";
import { observed, type RpcObserver } from "./observe.js";
import { TRACING } from "@fizz/telemetry";
import { traceCall } from "./tracing.js";

export interface CallContext {
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
  metadata: grpc.Metadata;
  peer: string;
  /** Unary calls: the request exactly as received (protobuf binary), for handlers that keep bytes. */
  requestBytes?: Uint8Array;
}

type Init<S extends DescMessage> = MessageInitShape<S>;
type Shape<S extends DescMessage> = MessageShape<S>;

type Handler<M extends GenServiceMethods[string]> = M["methodKind"] extends "unary"
  ? (req: Shape<M["input"]>, ctx: CallContext) => Promise<Init<M["output"]>>
  : M["methodKind"] extends "server_streaming"
    ? (req: Shape<M["input"]>, ctx: CallContext) => AsyncIterable<Init<M["output"]>>
    : M["methodKind"] extends "client_streaming"
      ? (reqs: AsyncIterable<Shape<M["input"]>>, ctx: CallContext) => Promise<Init<M["output"]>>
      : never;

/** The implementation of a generated service: one async function per method (localName). */
export type ServiceImpl<M extends GenServiceMethods> = { [K in keyof M]: Handler<M[K]> };

type AnyService = DescService & { method: Record<string, DescMethod> };

interface IncomingCall {
  on(event: "cancelled", listener: () => void): unknown;
  metadata: grpc.Metadata;
  getPeer(): string;
}

function contextOf(call: IncomingCall, requestBytes?: Uint8Array): CallContext {
  const ac = new AbortController();
  call.on("cancelled", () => ac.abort(new Error("cancelled by client")));
  return { signal: ac.signal, metadata: call.metadata, peer: call.getPeer(), requestBytes };
}

/** A unary request as grpc-js hands it over: decoded (or decoded on first use), with its bytes. */
interface Received {
  msg: unknown;
  bytes: Buffer;
}

/**
 * A message decoded only when a handler first reads it: handlers that work on
 * `ctx.requestBytes` alone (the recorder's StoreBatch) skip the decode and its garbage.
 */
function lazyMessage(decode: () => object): object {
  let msg: object | undefined;
  const get = () => (msg ??= decode());
  return new Proxy(
    {},
    {
      get: (_t, p) => Reflect.get(get(), p),
      has: (_t, p) => Reflect.has(get(), p),
      ownKeys: () => Reflect.ownKeys(get()),
      getOwnPropertyDescriptor: (_t, p) => Reflect.getOwnPropertyDescriptor(get(), p),
      getPrototypeOf: () => Reflect.getPrototypeOf(get()),
    },
  );
}

function definitionFor(service: AnyService, lazy: ReadonlySet<string>): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of service.methods) {
    const i = codec(m.input);
    const o = codec(m.output);
    def[m.name] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      requestSerialize: i.serialize as (v: unknown) => Buffer,
      // Unary: keep the bytes next to the message so handlers can store them without re-encoding.
      requestDeserialize:
        m.methodKind !== "unary"
          ? i.deserialize
          : lazy.has(m.localName)
            ? (bytes: Buffer): Received => ({ msg: lazyMessage(() => i.deserialize(bytes) as object), bytes })
            : (bytes: Buffer): Received => ({ msg: i.deserialize(bytes), bytes }),
      responseSerialize: (v: unknown) => o.serialize(create(m.output, v as Init<DescMessage>)),
      responseDeserialize: o.deserialize,
      originalName: m.localName,
    };
  }
  return def as grpc.ServiceDefinition;
}

function handlersFor(service: AnyService, impl: Record<string, Function>, log: Logger): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const m of service.methods) {
    const fn = impl[m.localName];
    if (!fn) throw new Error(`${service.typeName}: no handler for ${m.localName}`);
    const path = `/${service.typeName}/${m.name}`;
    const fail = (err: unknown) => {
      const se = toServiceError(err);
      if (se.code === grpc.status.INTERNAL) log.error({ err, method: m.name }, "rpc failed");
      return se;
    };
    switch (m.methodKind) {
      case "unary":
        out[m.name] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          const req = call.request as Received;
          const run = () => fn(req.msg, contextOf(call, req.bytes)) as Promise<unknown>;
          Promise.resolve()
            .then(() => (TRACING ? traceCall(path, call.metadata, run) : run()))
            .then((res) => cb(null, res), (err) => cb(fail(err), null));
        };
        break;
      case "server_streaming":
        out[m.name] = async (call: grpc.ServerWritableStream<unknown, unknown>) => {
          const ctx = contextOf(call);
          try {
            for await (const item of fn(call.request, ctx) as AsyncIterable<unknown>) {
              if (ctx.signal.aborted) break;
              if (!call.write(item)) await new Promise((r) => call.once("drain", r));
            }
            if (!ctx.signal.aborted) call.end();
          } catch (err) {
            if (!ctx.signal.aborted) call.emit("error", fail(err));
          }
        };
        break;
      case "client_streaming":
        out[m.name] = (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          Promise.resolve()
            .then(() => fn(call as AsyncIterable<unknown>, contextOf(call)))
            .then((res) => cb(null, res), (err) => cb(fail(err), null));
        };
        break;
      default:
        throw new Error(`${m.name}: bidi streaming is not supported`);
    }
  }
  return out;
}

export interface RpcServer {
  /** host:port actually bound (useful with port 0). */
  address: string;
  port: number;
  stop(): Promise<void>;
}

export interface ServiceBinding {
  service: DescService;
  impl: object;
  /** Unary methods (localName) whose request is decoded only if the handler reads it. */
  lazyRequests?: readonly string[];
}

/** Binds generated services with their implementations; `bind(S, impl)` keeps them typed. */
export function bind<M extends GenServiceMethods>(
  service: DescService & { method: M },
  impl: ServiceImpl<M>,
  opts: { lazyRequests?: ReadonlyArray<keyof M & string> } = {},
): ServiceBinding {
  return { service, impl, lazyRequests: opts.lazyRequests };
}

export interface RpcServerOptions {
  /** Told of every finished call (metrics). */
  onCall?: RpcObserver;
}

export async function startRpcServer(address: string, bindings: ServiceBinding[], log: Logger, opts: RpcServerOptions = {}): Promise<RpcServer> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
    "grpc.keepalive_permit_without_calls": 1,
  });
  for (const b of bindings) {
    const svc = b.service as AnyService;
    server.addService(definitionFor(svc, new Set(b.lazyRequests)), handlersFor(svc, observed(svc, b.impl as Record<string, Function>, opts.onCall), log));
  }
  const { host } = splitHostPort(address);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
