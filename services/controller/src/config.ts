import { z } from "zod";
import { addressField, metricsAddressField, metricsListen, metricsSwitchField, stateDirField } from "@fizz/common";

/** The controller's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where the admin API listens, host:port (port 0: any free port). */
    FIZZ_ADMIN: addressField("controller"),
    /** Root of all local state; resources live in <dir>/resources. */
    FIZZ_STATE_DIR: stateDirField(),
    /** How many recent changes a Watch can resume from before it must relist. */
    FIZZ_WATCH_HISTORY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    /** HTTP /metrics listener (FIZZ_METRICS=off: none). */
    FIZZ_CONTROLLER_METRICS: metricsAddressField("controller"),
    FIZZ_METRICS: metricsSwitchField(),
  })
  .transform((e) => ({
    address: e.FIZZ_ADMIN,
    stateDir: e.FIZZ_STATE_DIR,
    historySize: e.FIZZ_WATCH_HISTORY,
    metricsAddress: e.FIZZ_METRICS ? metricsListen(e.FIZZ_CONTROLLER_METRICS, e.FIZZ_ADMIN) : undefined,
  }));

export type ControllerConfig = z.infer<typeof configSchema>;
