import { z } from "zod";
import { addressField, metricsAddressField, metricsListen, metricsSwitchField, niceField, routerUrlField, stateDirField } from "@fizz/common";

/** The recorder's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where RecorderService listens, host:port (port 0: any free port). */
    FIZZ_RECORDER: addressField("recorder"),
    /** The router replays go through (http URL or host:port). */
    FIZZ_ROUTER: routerUrlField(),
    /** Root of local state; the embedded store keeps <dir>/recorder/records.log. */
    FIZZ_STATE_DIR: stateDirField(),
    /** redis://host:port/db; empty = the embedded store. */
    FIZZ_REDIS_URL: z
      .string()
      .optional()
      .transform((v) => v?.trim() || "")
      .refine((v) => v === "" || /^rediss?:\/\/[^/]+(\/\d+)?\/?$/.test(v), { message: "must be redis://host:port/db (or empty for the embedded store)" }),
    /** Most records kept by the embedded store, and per index in Redis; the oldest go first. */
    FIZZ_RECORDER_MAX_RECORDS: z.coerce.number().int().min(1).default(10_000),
    /** HTTP /metrics listener (FIZZ_METRICS=off: none). */
    FIZZ_RECORDER_METRICS: metricsAddressField("recorder"),
    FIZZ_METRICS: metricsSwitchField(),
    /** Most bytes of records the embedded store keeps in memory. */
    FIZZ_RECORDER_MAX_BYTES: z.coerce.number().int().min(1).default(64 * 1024 * 1024),
    /** How long a replayed request may take, in milliseconds. */
    FIZZ_RECORDER_REPLAY_TIMEOUT_MS: z.coerce.number().int().min(1).default(60_000),
    /** The process's nice value (0: unchanged): storing records waits for CPU that serving requests leaves. */
    FIZZ_RECORDER_NICE: niceField(),
  })
  .transform((e) => ({
    address: e.FIZZ_RECORDER,
    routerUrl: e.FIZZ_ROUTER,
    stateDir: e.FIZZ_STATE_DIR,
    redisUrl: e.FIZZ_REDIS_URL,
    maxRecords: e.FIZZ_RECORDER_MAX_RECORDS,
    metricsAddress: e.FIZZ_METRICS ? metricsListen(e.FIZZ_RECORDER_METRICS, e.FIZZ_RECORDER) : undefined,
    maxBytes: e.FIZZ_RECORDER_MAX_BYTES,
    replayTimeoutMs: e.FIZZ_RECORDER_REPLAY_TIMEOUT_MS,
    nice: e.FIZZ_RECORDER_NICE,
  }));

export type RecorderConfig = z.infer<typeof configSchema>;
