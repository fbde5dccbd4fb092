// Process-wide tracing switch and SDK lifecycle. Off unless the standard OTEL_* variables ask for
// an exporter: then (and only then) @opentelemetry/sdk-node is imported and started.
import { diag, DiagLogLevel } from "@opentelemetry/api";
import type { Logger, Service } from "@fizz/common";

/**
 * True once the SDK runs in this process. A live ESM binding: hot paths read it as one boolean
 * and skip every span helper when it is false.
 */
export let TRACING = false;

const off = (v: string | undefined) => v === undefined || v.trim() === "";

/**
 * Whether the environment asks for traces: an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or an explicit OTEL_TRACES_EXPORTER other than "none";
 * OTEL_SDK_DISABLED=true wins over both.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === "none") return false;
  return !off(exporter) || !off(env.OTEL_EXPORTER_OTLP_ENDPOINT) || !off(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export interface Tracing {
  /** Exports what is buffered and stops the SDK; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

const NONE: Tracing = { shutdown: async () => undefined };

/**
 * Starts the OpenTelemetry SDK for `service` (service.name `fizz-<service>`) when the
 * environment asks for it. Everything else (exporter, protocol, endpoint, batch delay, sampler,
 * propagators) comes from the standard OTEL_* variables read by sdk-node. Only traces: metrics
 * are Prometheus' job here and Fizz emits no OTel logs.
 */
export async function startTracing(service: string, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingRequested(env)) return NONE;
  // The SDK reports export failures through diag; without OTEL_LOG_LEVEL they go to our log.
  if (off(env.OTEL_LOG_LEVEL)) {
    const l = log.child({ component: "otel" });
    const warn = (msg: string, ...args: unknown[]) => l.warn({ args: args.length ? args.map(String) : undefined }, msg);
    diag.setLogger({ error: warn, warn, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
  }
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const sdk = new NodeSDK({ serviceName: `fizz-${service}`, metricReaders: [], logRecordProcessors: [], instrumentations: [] });
  sdk.start();
  TRACING = true;
  log.info({ service: `fizz-${service}` }, "tracing on (OpenTelemetry)");
  return {
    shutdown: async () => {
      TRACING = false;
      try {
        await sdk.shutdown();
      } catch (err) {
        log.warn({ err: (err as Error).message }, "tracing shutdown failed");
      }
    },
  };
}

/**
 * `svc` with tracing started for it (when configured) and flushed after it stops: what every
 * service's main.ts hands to runService, so spans of the last requests are not lost on exit.
 * Everything else (address, and whatever runService reads later) is the service's own.
 */
export async function traced<S extends Service>(service: string, svc: S, log: Logger): Promise<S> {
  const tracing = await startTracing(service, log);
  const stop = async () => {
    try {
      await svc.stop();
    } finally {
      await tracing.shutdown();
    }
  };
  return new Proxy(svc, {
    get: (target, p) => {
      if (p === "stop") return stop;
      const v: unknown = Reflect.get(target, p, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
