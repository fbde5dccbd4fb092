import { z } from "zod";
import { addressField, stateDirField } from "@fizz/common";

const int = (min: number, def: number) => z.coerce.number().int().min(min).default(def);

/** The builder's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where the builder's HTTP endpoint (/healthz, /builds) listens. */
    FIZZ_BUILDER: addressField("builder"),
    FIZZ_ADMIN: addressField("controller"),
    FIZZ_STORAGE: addressField("storage"),
    /** Root of all local state; builds run in <dir>/builds/<pkg>-<rv>. */
    FIZZ_STATE_DIR: stateDirField(),
    /** Builds running at once; the rest wait in a queue. */
    FIZZ_BUILD_CONCURRENCY: int(1, 2),
    /** A build running longer is killed (with its whole process group) and fails. */
    FIZZ_BUILD_TIMEOUT_MS: int(1, 10 * 60_000),
    /** Build log kept on the Package: head and tail, the middle elided. */
    FIZZ_BUILD_LOG_MAX_BYTES: int(256, 256 * 1024),
    /** Largest source download / extracted tree / deployment archive, in bytes. */
    FIZZ_MAX_ARCHIVE_BYTES: int(1, 256 * 1024 * 1024),
    /** Deployment archives up to this size go inline in the Package; larger ones to storage. */
    FIZZ_BUILD_LITERAL_MAX_BYTES: int(0, 256 * 1024),
  })
  .transform((e) => ({
    address: e.FIZZ_BUILDER,
    admin: e.FIZZ_ADMIN,
    storage: e.FIZZ_STORAGE,
    stateDir: e.FIZZ_STATE_DIR,
    concurrency: e.FIZZ_BUILD_CONCURRENCY,
    timeoutMs: e.FIZZ_BUILD_TIMEOUT_MS,
    logMaxBytes: e.FIZZ_BUILD_LOG_MAX_BYTES,
    maxArchiveBytes: e.FIZZ_MAX_ARCHIVE_BYTES,
    literalMaxBytes: e.FIZZ_BUILD_LITERAL_MAX_BYTES,
  }));

export type BuilderConfig = z.infer<typeof configSchema>;
