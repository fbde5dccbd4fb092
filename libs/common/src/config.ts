import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { invalid } from "./errors.js";
import { HOST, METRICS_LISTENERS, SERVICES, metricsListen, routerUrl, serviceAddress, splitHostPort, type MetricsListenerName, type ServiceName } from "./ports.js";

/**
 * Parses a service's configuration from environment variables with its zod schema, so every
 * service fails at start with one message listing every bad setting.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  source: Record<string, unknown>,
  service: string,
): z.infer<S> {
  const r = schema.safeParse(source);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
  throw invalid(`invalid ${service} configuration:\n${lines.join("\n")}`);
}

const isHostPort = (v: string) => {
  try {
    splitHostPort(v);
    return true;
  } catch {
    return false;
  }
};

/** A service's host:port from its variable (FIZZ_ADMIN, …), else its default; port 0 allowed. */
export function addressField(name: ServiceName) {
  const s = SERVICES[name];
  return z
    .string()
    .optional()
    .transform((v) => serviceAddress(name, v ? { [s.env]: v } : {}))
    .refine(isHostPort, { message: `must be host:port, e.g. ${HOST}:${s.port} (port 0 picks a free port)` });
}

/**
 * FIZZ_<SVC>_METRICS: where a gRPC service serves /metrics over HTTP (port 0 allowed); unset, it
 * follows the gRPC address (see metricsListen). Resolve with metricsListen in the schema's transform.
 */
export function metricsAddressField(name: MetricsListenerName) {
  const m = METRICS_LISTENERS[name];
  return z
    .string()
    .optional()
    .refine((v) => !v || isHostPort(metricsListen(v, "")), { message: `must be host:port, e.g. ${HOST}:${m.port} (port 0 picks a free port)` });
}

/** FIZZ_METRICS: "on" (default) or "off" — off serves no /metrics and skips the router's per-request counting. */
export const metricsSwitchField = () =>
  z
    .enum(["on", "off"], { message: 'must be "on" or "off"' })
    .default("on")
    .transform((v) => v === "on");

/** FIZZ_ROUTER as a base URL for services that call functions through the router (http URL or host:port). */
export const routerUrlField = () =>
  z
    .string()
    .optional()
    .transform((v) => routerUrl(v ? { [SERVICES.router.env]: v } : {}))
    .refine((v) => URL.canParse(v), { message: "must be an http URL or host:port, e.g. 127.0.0.1:8888" });

/** FIZZ_STATE_DIR: the root of all local state, default ~/.fizz, made absolute. */
export const stateDirField = () =>
  z
    .string()
    .optional()
    .transform((v) => resolve(v || join(homedir(), ".fizz")));
