import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { serviceAddress, splitHostPort } from "@fizz/common";

const hostPort = (v: string) => {
  try {
    splitHostPort(v);
    return true;
  } catch {
    return false;
  }
};

/** The storage service's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where StorageService listens, host:port (port 0: any free port). */
    FIZZ_STORAGE: z
      .string()
      .optional()
      .transform((v) => serviceAddress("storage", v ? { FIZZ_STORAGE: v } : {}))
      .refine(hostPort, { message: "must be host:port, e.g. 127.0.0.1:9092 (port 0 picks a free port)" }),
    /** Root of all local state; archives live in <dir>/storage. */
    FIZZ_STATE_DIR: z
      .string()
      .optional()
      .transform((v) => resolve(v || join(homedir(), ".fizz"))),
    /** Largest archive accepted, in bytes. */
    FIZZ_STORAGE_MAX_BYTES: z.coerce.number().int().min(1).default(256 * 1024 * 1024),
  })
  .transform((e) => ({
    address: e.FIZZ_STORAGE,
    stateDir: e.FIZZ_STATE_DIR,
    maxBytes: e.FIZZ_STORAGE_MAX_BYTES,
  }));

export type StorageConfig = z.infer<typeof configSchema>;
