import * as grpc from "@grpc/grpc-js";
import { create, type DescMessage, type DescMethod, type DescService, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { codec } from "./codec.js";
import { fromServiceError } from "./status.js";
import { TRACING } from "@fizz/telemetry";
import { injectMetadata } from "./tracing.js";

export interface CallOptions {
  /** Deadline for the whole call, in milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Init<S extends DescMessage> = MessageInitShape<S>;
type Shape<S extends DescMessage> = MessageShape<S>;

type ClientMethod<M extends GenServiceMethods[string]> = M["methodKind"] extends "unary"
  ? (req: Init<M["input"]>, opts?: CallOptions) => Promise<Shape<M["output"]>>
  : M["methodKind"] extends "server_streaming"
    ? (req: Init<M["input"]>, opts?: CallOptions) => AsyncIterable<Shape<M["output"]>>
    : M["methodKind"] extends "client_streaming"
      ? (reqs: AsyncIterable<Init<M["input"]>> | Iterable<Init<M["input"]>>, opts?: CallOptions) => Promise<Shape<M["output"]>>
      : never;

type UnaryName<M extends GenServiceMethods> = { [K in keyof M]: M[K]["methodKind"] extends "unary" ? K : never }[keyof M] & string;

export type Client<M extends GenServiceMethods> = { [K in keyof M]: ClientMethod<M[K]> } & {
  /** host:port this client talks to. */
  readonly target: string;
  /**
   * A unary call whose request is already protobuf binary, sent as is (no create/toBinary): for
   * hot paths that encode by hand. The response is decoded as usual.
   */
  callRaw<K extends UnaryName<M>>(method: K, request: Uint8Array, opts?: CallOptions): Promise<Shape<M[K]["output"]>>;
  close(): void;
};

const DEFAULT_TIMEOUT_MS = 30_000;

function callOptions(opts: CallOptions | undefined, streaming: boolean): grpc.CallOptions {
  const ms = opts?.timeoutMs ?? (streaming ? undefined : DEFAULT_TIMEOUT_MS);
  return ms === undefined ? {} : { deadline: Date.now() + ms };
}

function linkAbort(call: grpc.Call, signal?: AbortSignal) {
  if (!signal) return;
  if (signal.aborted) call.cancel();
  else signal.addEventListener("abort", () => call.cancel(), { once: true });
}

const asBuffer = (u8: Uint8Array): Buffer => (Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));

/**
 * A typed client for a generated service. Unary calls return promises, server streams are async
 * iterables, client streams take an iterable; every failure is a FizzError with a stable code.
 */
export function createClient<M extends GenServiceMethods>(
  service: DescService & { method: M },
  target: string,
  channelOptions: grpc.ChannelOptions = {},
): Client<M> {
  const raw = new grpc.Client(target, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
    "grpc.keepalive_time_ms": 30_000,
    ...channelOptions,
  });
  const label = `${service.typeName.split(".").pop()} at ${target}`;
  const unary = (path: string, ser: (v: unknown) => Buffer, de: (b: Buffer) => unknown, req: unknown, opts?: CallOptions) =>
    new Promise((resolve, reject) => {
      const md = TRACING ? injectMetadata(new grpc.Metadata()) : new grpc.Metadata();
      const call = raw.makeUnaryRequest(path, ser, de, req, md, callOptions(opts, false), (err, res) =>
        err ? reject(fromServiceError(err, label)) : resolve(res),
      );
      linkAbort(call, opts?.signal);
    });
  const rawUnary = new Map<string, (req: Uint8Array, opts?: CallOptions) => Promise<unknown>>();
  const out: Record<string, unknown> = {
    target,
    close: () => raw.close(),
    callRaw: (method: string, req: Uint8Array, opts?: CallOptions) => {
      const f = rawUnary.get(method);
      return f ? f(req, opts) : Promise.reject(new Error(`${label}: no unary method ${method}`));
    },
  };
  for (const m of service.methods as DescMethod[]) {
    const path = `/${service.typeName}/${m.name}`;
    const i = codec(m.input);
    const o = codec(m.output);
    const ser = (v: unknown) => i.serialize(create(m.input, v as Init<DescMessage>));
    switch (m.methodKind) {
      case "unary":
        out[m.localName] = (req: unknown, opts?: CallOptions) => unary(path, ser, o.deserialize, req, opts);
        rawUnary.set(m.localName, (req, opts) => unary(path, asBuffer as (v: unknown) => Buffer, o.deserialize, req, opts));
        break;
      case "server_streaming":
        out[m.localName] = (req: unknown, opts?: CallOptions) => ({
          async *[Symbol.asyncIterator]() {
            const call = raw.makeServerStreamRequest(path, ser, o.deserialize, req, new grpc.Metadata(), callOptions(opts, true));
            linkAbort(call, opts?.signal);
            try {
              for await (const item of call) yield item;
            } catch (err) {
              if (opts?.signal?.aborted) return;
              throw fromServiceError(err as grpc.ServiceError, label);
            } finally {
              call.cancel();
            }
          },
        });
        break;
      case "client_streaming":
        out[m.localName] = (reqs: AsyncIterable<unknown> | Iterable<unknown>, opts?: CallOptions) =>
          new Promise((resolve, reject) => {
            const call = raw.makeClientStreamRequest(path, ser, o.deserialize, new grpc.Metadata(), callOptions(opts, false), (err, res) =>
              err ? reject(fromServiceError(err, label)) : resolve(res),
            );
            linkAbort(call, opts?.signal);
            (async () => {
              for await (const r of reqs) {
                if (!call.write(r)) await new Promise((res) => call.once("drain", res));
              }
              call.end();
            })().catch((err) => {
              call.cancel();
              reject(err);
            });
          });
        break;
      default:
        throw new Error(`${m.name}: bidi streaming is not supported`);
    }
  }
  return out as Client<M>;
}
