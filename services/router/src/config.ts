import { z } from "zod";
import { join } from "node:path";
import { loadConfig, metricsSwitchField, niceField, parseDurationMs, serviceAddress, stateDirField } from "@fizz/common";

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const schema = z.object({
  FIZZ_ROUTER_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1),
  FIZZ_ROUTER_RETRY_ATTEMPTS: int(5, 1),
  FIZZ_ROUTER_RETRY_BACKOFF_MS: int(20, 0),
  FIZZ_ROUTER_TAP_INTERVAL_MS: int(5000, 10),
  FIZZ_ROUTER_RECORD_FLUSH_MS: int(200, 10),
  FIZZ_ROUTER_RECORD_NICE: niceField(),
  FIZZ_STATE_DIR: stateDirField(),
  FIZZ_METRICS: metricsSwitchField(),
  FIZZ_ROUTER_ASYNC_ATTEMPTS: int(3, 1),
  FIZZ_ROUTER_ASYNC_BACKOFF_MS: int(1000, 0),
  FIZZ_ROUTER_ASYNC_CONCURRENCY: int(10, 1),
  FIZZ_ROUTER_ASYNC_QUEUE: int(1000, 1),
  FIZZ_ROUTER_ASYNC_QUEUE_BYTES: int(256 * 1024 * 1024, 1),
  FIZZ_ROUTER_ASYNC_RESULT_BYTES: int(64 * 1024, 0),
  FIZZ_ROUTER_ASYNC_RETENTION: int(10_000, 1),
  FIZZ_ROUTER_ASYNC_RETENTION_AGE: z
    .string()
    .default("24h")
    .transform((v) => parseDurationMs(v) ?? NaN)
    .refine((ms) => ms > 0, { message: "must be a duration such as 30m, 24h or 7d" }),
  FIZZ_ROUTER_ASYNC_REDIS_URL: z.string().url().startsWith("redis", { message: "must be a redis:// or rediss:// URL" }).optional(),
  FIZZ_ROUTER_ASYNC_LEASE: z
    .string()
    .default("30s")
    .transform((v) => parseDurationMs(v) ?? NaN)
    .refine((ms) => ms >= 100, { message: "must be a duration of at least 100ms, such as 30s" }),
  FIZZ_ROUTER_ASYNC_POLL_MS: int(250, 10),
});

/** Async invocations (X-Fizz-Invoke-Mode: async), see async/invoker.ts. */
export interface AsyncConfig {
  /** Where invocations are kept: $FIZZ_STATE_DIR/router/invocations. */
  dir: string;
  /** Attempts per invocation (5xx, 429, timeouts, unreachable are retried). */
  attempts: number;
  /** Wait before the second attempt; doubles every attempt. */
  backoffMs: number;
  /** Invocations running at once. */
  concurrency: number;
  /** Unfinished invocations (queued + running) at most, and their request bytes; past either, 503. */
  maxQueued: number;
  maxQueuedBytes: number;
  /** Response body bytes kept per invocation; the rest only sets `truncated`. */
  resultBytes: number;
  /** Finished invocations kept at most (count, and age in ms since they finished). */
  retention: number;
  retentionMs: number;
  /** Shared Redis for every router replica (FIZZ_ROUTER_ASYNC_REDIS_URL); unset = `dir`. */
  redisUrl?: string;
  /** With Redis: how long a replica's claim on a running invocation lasts unrenewed. */
  leaseMs: number;
  /** With Redis: how often the shared queue is checked for due invocations. */
  pollMs: number;
}

export interface RouterConfig {
  /** host:port to listen on (port 0 = ephemeral). */
  listen: string;
  /** Controller (AdminService) address. */
  admin: string;
  /** Executor address. */
  executor: string;
  /** Largest request body forwarded to a function; bigger ones get 413. */
  maxBodyBytes: number;
  retry: {
    /** Attempts per request when the instance refuses connections. */
    attempts: number;
    /** First backoff; doubles every attempt. */
    initialBackoffMs: number;
  };
  /** How often the batched TapServices is sent. */
  tapIntervalMs: number;
  /** Recorder (RecorderService) address; recorded pairs are shipped there. */
  recorder: string;
  /** How often recorded pairs are shipped (sooner when a batch fills up). */
  recordFlushMs: number;
  /** Nice value of the thread shipping recorded batches (0: the router's own priority). */
  recordNice: number;
  async: AsyncConfig;
  /** Per-request metrics and GET /metrics (FIZZ_METRICS, default on). */
  metrics: boolean;
}

/** The router's configuration from environment variables (FIZZ_ROUTER, FIZZ_ADMIN, FIZZ_EXECUTOR, FIZZ_RECORDER, FIZZ_STATE_DIR, FIZZ_ROUTER_*). */
export function routerConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  const c = loadConfig(schema, env, "router");
  return {
    listen: serviceAddress("router", env),
    admin: serviceAddress("controller", env),
    executor: serviceAddress("executor", env),
    maxBodyBytes: c.FIZZ_ROUTER_MAX_BODY_BYTES,
    retry: { attempts: c.FIZZ_ROUTER_RETRY_ATTEMPTS, initialBackoffMs: c.FIZZ_ROUTER_RETRY_BACKOFF_MS },
    tapIntervalMs: c.FIZZ_ROUTER_TAP_INTERVAL_MS,
    recorder: serviceAddress("recorder", env),
    recordFlushMs: c.FIZZ_ROUTER_RECORD_FLUSH_MS,
    recordNice: c.FIZZ_ROUTER_RECORD_NICE,
    metrics: c.FIZZ_METRICS,
    async: {
      dir: join(c.FIZZ_STATE_DIR, "router", "invocations"),
      attempts: c.FIZZ_ROUTER_ASYNC_ATTEMPTS,
      backoffMs: c.FIZZ_ROUTER_ASYNC_BACKOFF_MS,
      concurrency: c.FIZZ_ROUTER_ASYNC_CONCURRENCY,
      maxQueued: c.FIZZ_ROUTER_ASYNC_QUEUE,
      maxQueuedBytes: c.FIZZ_ROUTER_ASYNC_QUEUE_BYTES,
      resultBytes: c.FIZZ_ROUTER_ASYNC_RESULT_BYTES,
      retention: c.FIZZ_ROUTER_ASYNC_RETENTION,
      retentionMs: c.FIZZ_ROUTER_ASYNC_RETENTION_AGE,
      redisUrl: c.FIZZ_ROUTER_ASYNC_REDIS_URL,
      leaseMs: c.FIZZ_ROUTER_ASYNC_LEASE,
      pollMs: c.FIZZ_ROUTER_ASYNC_POLL_MS,
    },
  };
}
