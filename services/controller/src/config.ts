import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { serviceAddress, splitHostPort } from "@fizz/common";

/** The controller's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where the admin API listens, host:port (port 0: any free port). */
    FIZZ_ADMIN: z
      .string()
      .optional()
      .transform((v) => serviceAddress("controller", v ? { FIZZ_ADMIN: v } : {}))
      .refine(
        (v) => {
          try {
            splitHostPort(v);
            return true;
          } catch {
            return false;
          }
        },
        { message: "must be host:port, e.g. 127.0.0.1:9090 (port 0 picks a free port)" },
      ),
    /** Root of all local state; resources live in <dir>/resources. */
    FIZZ_STATE_DIR: z
      .string()
      .optional()
      .transform((v) => resolve(v || join(homedir(), ".fizz"))),
    /** How many recent changes a Watch can resume from before it must relist. */
    FIZZ_WATCH_HISTORY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  })
  .transform((e) => ({
    address: e.FIZZ_ADMIN,
    stateDir: e.FIZZ_STATE_DIR,
    historySize: e.FIZZ_WATCH_HISTORY,
  }));

export type ControllerConfig = z.infer<typeof configSchema>;
