// The fetcher sidecar's settings, from environment variables (it runs in every runtime pod).
import { z } from "zod";
import { addressField } from "@fizz/common";
import { specializeRequestSchema } from "./request.js";

const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);

export const configSchema = z
  .object({
    /** The storage service the deployment archives are downloaded from. */
    FIZZ_STORAGE: addressField("storage"),
    FIZZ_FETCHER_PORT: port(8000),
    /** Listen host; the runtime container is reached on it too (127.0.0.1 for a wildcard). */
    HOST: z.string().min(1).default("0.0.0.0"),
    /** The volume shared with the runtime container. */
    FIZZ_USERFUNC_DIR: z.string().min(1).default("/userfunc"),
    FIZZ_RUNTIME_PORT: port(8888),
    FIZZ_MAX_ARCHIVE_BYTES: z.coerce.number().int().min(1).default(256 * 1024 * 1024),
    /** The /specialize body to act on once at start (newdeploy pods): /healthz is 503 until it succeeded. */
    FIZZ_SPECIALIZE_ON_STARTUP: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return undefined;
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "must be the JSON body of POST /specialize" });
          return z.NEVER;
        }
      })
      .pipe(specializeRequestSchema.optional()),
  })
  .transform((e) => ({
    storage: e.FIZZ_STORAGE,
    host: e.HOST,
    port: e.FIZZ_FETCHER_PORT,
    userfuncDir: e.FIZZ_USERFUNC_DIR,
    // Containers of one pod share a network namespace: the runtime is on the same host.
    runtimeAddress: `${wildcard(e.HOST) ? "127.0.0.1" : e.HOST.includes(":") ? `[${e.HOST}]` : e.HOST}:${e.FIZZ_RUNTIME_PORT}`,
    maxArchiveBytes: e.FIZZ_MAX_ARCHIVE_BYTES,
    specializeOnStartup: e.FIZZ_SPECIALIZE_ON_STARTUP,
  }));

export type FetcherConfig = z.infer<typeof configSchema>;

const wildcard = (h: string) => h === "0.0.0.0" || h === "::" || h === "[::]";
