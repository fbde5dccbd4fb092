import { z } from "zod";
import { addressField, routerUrlField, stateDirField } from "@fizz/common";

const int = (min: number, def: number) => z.coerce.number().int().min(min).default(def);

/** The timer's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where the HTTP endpoint (/healthz, /triggers) listens. */
    FIZZ_TIMER: addressField("timer"),
    FIZZ_ADMIN: addressField("controller"),
    /** Functions are invoked at <router>/fizz-function/<name><subpath>. */
    FIZZ_ROUTER: routerUrlField(),
    /** Root of local state; the last fired time of each trigger is kept in <dir>/timer/. */
    FIZZ_STATE_DIR: stateDirField(),
    /** Attempts per scheduled run (Fission's publisher: 10), while the next run is not due. */
    FIZZ_TIMER_RETRY_ATTEMPTS: int(1, 10),
    /** Backoff before the first retry (Fission: 500 ms); doubles per retry. */
    FIZZ_TIMER_RETRY_BACKOFF_MS: int(1, 500),
    /** Longest backoff between two attempts. */
    FIZZ_TIMER_RETRY_MAX_BACKOFF_MS: int(1, 30_000),
    /** One attempt taking longer fails (the router's function timeout usually comes first). */
    FIZZ_TIMER_INVOKE_TIMEOUT_MS: int(1, 10 * 60_000),
  })
  .transform((e) => ({
    address: e.FIZZ_TIMER,
    admin: e.FIZZ_ADMIN,
    router: e.FIZZ_ROUTER,
    stateDir: e.FIZZ_STATE_DIR,
    retry: { attempts: e.FIZZ_TIMER_RETRY_ATTEMPTS, backoffMs: e.FIZZ_TIMER_RETRY_BACKOFF_MS, maxBackoffMs: e.FIZZ_TIMER_RETRY_MAX_BACKOFF_MS },
    invokeTimeoutMs: e.FIZZ_TIMER_INVOKE_TIMEOUT_MS,
  }));

export type TimerConfig = z.infer<typeof configSchema>;
export type RetryPolicy = TimerConfig["retry"];
