// Where every service listens by default, and the environment variables that override it.
// One place, so the CLI, `fizz up`, the services and the tests agree.

import { DEFAULT_NAMESPACE } from "./names.js";

export const HOST = "127.0.0.1";

export const SERVICES = {
  router: { port: 8888, env: "FIZZ_ROUTER", scheme: "http" },
  controller: { port: 9090, env: "FIZZ_ADMIN", scheme: "grpc" },
  executor: { port: 9091, env: "FIZZ_EXECUTOR", scheme: "grpc" },
  storage: { port: 9092, env: "FIZZ_STORAGE", scheme: "grpc" },
  // HTTP: /healthz and build status; the builder's work arrives through the controller's watch.
  builder: { port: 9093, env: "FIZZ_BUILDER", scheme: "http" },
  recorder: { port: 9094, env: "FIZZ_RECORDER", scheme: "grpc" },
  // HTTP: /healthz and status; their work arrives through the controller's watch.
  timer: { port: 9095, env: "FIZZ_TIMER", scheme: "http" },
  mqtrigger: { port: 9096, env: "FIZZ_MQTRIGGER", scheme: "http" },
  canary: { port: 9097, env: "FIZZ_CANARY", scheme: "http" },
} as const;

export type ServiceName = keyof typeof SERVICES;

/**
 * Node (V8) options a service starts with wherever it runs: `fizz up` forks it with them and its
 * Dockerfile target's CMD passes them (a deploy test checks both agree). NODE_OPTIONS cannot carry
 * these flags, hence the command line.
 * --initial-heap-size: recorded batches are fresh ~1 MB buffers (the router's batch, gRPC's framed
 * copy of it, the recorder's received copy), and with V8's small initial heap limits that external
 * memory set off a full GC every few batches, in the router's main and shipping threads and in the
 * recorder. Starting at 128 MB: the recorder's CPU per received record ~3.1 → ~1.6 µs
 * (bench/recorder-store, BENCH_NULL_STORE=1), the router's added CPU per recorded request ~+6 →
 * ~+2 µs (bench/record-overhead).
 */
export const NODE_ARGS: Readonly<Partial<Record<ServiceName, readonly string[]>>> = {
  recorder: ["--initial-heap-size=128"],
  router: ["--initial-heap-size=128"],
};

/**
 * The HTTP listeners (/metrics, /healthz) of the gRPC-only services. Unset, a listener takes the
 * gRPC address's host and its port + 100 (9190, 9191, 9192, 9194), or port 0 when the gRPC port
 * is 0 (tests). HTTP services serve /metrics on their own port.
 */
export const METRICS_LISTENERS = {
  controller: { port: 9190, env: "FIZZ_CONTROLLER_METRICS" },
  executor: { port: 9191, env: "FIZZ_EXECUTOR_METRICS" },
  storage: { port: 9192, env: "FIZZ_STORAGE_METRICS" },
  recorder: { port: 9194, env: "FIZZ_RECORDER_METRICS" },
} as const;

export type MetricsListenerName = keyof typeof METRICS_LISTENERS;

/** A metrics listener's address: `explicit` (its variable) if set, else derived from the gRPC address. */
export function metricsListen(explicit: string | undefined, grpcAddress: string): string {
  if (explicit) return explicit.replace(/^http:\/\//, "").replace(/\/+$/, "");
  const { host, port } = splitHostPort(grpcAddress);
  return `${host.includes(":") ? `[${host}]` : host}:${port === 0 ? 0 : port + 100}`;
}

/** host:port of a gRPC service's metrics listener from the environment. */
export function metricsAddress(name: MetricsListenerName, env: NodeJS.ProcessEnv = process.env): string {
  return metricsListen(env[METRICS_LISTENERS[name].env], serviceAddress(name, env));
}

/** host:port of a service: its environment variable, else the default. */
export function serviceAddress(name: ServiceName, env: NodeJS.ProcessEnv = process.env): string {
  const s = SERVICES[name];
  const v = env[s.env];
  if (v) return v.replace(/^(grpc|http):\/\//, "").replace(/\/+$/, "");
  return `${HOST}:${s.port}`;
}

/** Base URL of the router (http://host:port). */
export function routerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const v = env[SERVICES.router.env];
  if (v) return /^https?:\/\//.test(v) ? v.replace(/\/+$/, "") : `http://${v}`;
  return `http://${HOST}:${SERVICES.router.port}`;
}

/** The router's internal route of a function (Fission's shape: no segment for "default"). */
export function functionPath(namespace: string, name: string): string {
  return !namespace || namespace === DEFAULT_NAMESPACE ? `/fizz-function/${name}` : `/fizz-function/${namespace}/${name}`;
}

/** Splits "host:port" (port 0 allowed: pick a free one). */
export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(":");
  if (i < 0) throw new Error(`address "${addr}" must be host:port`);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in "${addr}"`);
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ""), port };
}
