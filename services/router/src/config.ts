import { z } from "zod";
import { loadConfig, serviceAddress } from "@fizz/common";

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const schema = z.object({
  FIZZ_ROUTER_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1),
  FIZZ_ROUTER_RETRY_ATTEMPTS: int(5, 1),
  FIZZ_ROUTER_RETRY_BACKOFF_MS: int(20, 0),
  FIZZ_ROUTER_TAP_INTERVAL_MS: int(5000, 10),
  FIZZ_ROUTER_RECORD_FLUSH_MS: int(200, 10),
});

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
}

/** The router's configuration from environment variables (FIZZ_ROUTER, FIZZ_ADMIN, FIZZ_EXECUTOR, FIZZ_RECORDER, FIZZ_ROUTER_*). */
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
  };
}
