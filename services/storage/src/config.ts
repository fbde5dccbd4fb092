import { z } from "zod";
import { addressField, metricsAddressField, metricsListen, metricsSwitchField, stateDirField } from "@fizz/common";

const ms = (def: number) => z.coerce.number().int().min(0).default(def);

/** The storage service's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where StorageService listens, host:port (port 0: any free port). */
    FIZZ_STORAGE: addressField("storage"),
    /** The controller, whose Packages tell the garbage collector which archives are in use. */
    FIZZ_ADMIN: addressField("controller"),
    /** Root of all local state; archives live in <dir>/storage with the fs backend. */
    FIZZ_STATE_DIR: stateDirField(),
    /** Largest archive accepted, in bytes. */
    FIZZ_STORAGE_MAX_BYTES: z.coerce.number().int().min(1).default(256 * 1024 * 1024),
    FIZZ_STORAGE_BACKEND: z.enum(["fs", "s3"]).default("fs"),
    /** HTTP /metrics listener (FIZZ_METRICS=off: none). */
    FIZZ_STORAGE_METRICS: metricsAddressField("storage"),
    FIZZ_METRICS: metricsSwitchField(),
    /** S3/MinIO endpoint URL, e.g. http://127.0.0.1:9000 (path-style addressing). */
    FIZZ_S3_ENDPOINT: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://127.0.0.1:9000" })
      .optional(),
    FIZZ_S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name")
      .default("fizz-archives"),
    FIZZ_S3_ACCESS_KEY: z.string().optional(),
    FIZZ_S3_SECRET_KEY: z.string().optional(),
    FIZZ_S3_REGION: z.string().min(1).default("us-east-1"),
    /** Unreferenced archives older than this (and unreferenced for this long) are removed. */
    FIZZ_STORAGE_GC_GRACE_MS: ms(10 * 60_000),
    /** How often the garbage collector runs; 0 disables it. */
    FIZZ_STORAGE_GC_INTERVAL_MS: ms(60_000),
  })
  .superRefine((e, ctx) => {
    if (e.FIZZ_STORAGE_BACKEND !== "s3") return;
    for (const k of ["FIZZ_S3_ENDPOINT", "FIZZ_S3_ACCESS_KEY", "FIZZ_S3_SECRET_KEY"] as const)
      if (!e[k]) ctx.addIssue({ code: "custom", path: [k], message: "required when FIZZ_STORAGE_BACKEND=s3" });
  })
  .transform((e) => ({
    address: e.FIZZ_STORAGE,
    adminAddress: e.FIZZ_ADMIN,
    stateDir: e.FIZZ_STATE_DIR,
    maxBytes: e.FIZZ_STORAGE_MAX_BYTES,
    backend: e.FIZZ_STORAGE_BACKEND,
    metricsAddress: e.FIZZ_METRICS ? metricsListen(e.FIZZ_STORAGE_METRICS, e.FIZZ_STORAGE) : undefined,
    s3: {
      endpoint: e.FIZZ_S3_ENDPOINT ?? "",
      bucket: e.FIZZ_S3_BUCKET,
      accessKey: e.FIZZ_S3_ACCESS_KEY ?? "",
      secretKey: e.FIZZ_S3_SECRET_KEY ?? "",
      region: e.FIZZ_S3_REGION,
    },
    gc: { graceMs: e.FIZZ_STORAGE_GC_GRACE_MS, intervalMs: e.FIZZ_STORAGE_GC_INTERVAL_MS },
  }));

export type StorageConfig = z.infer<typeof configSchema>;
export type S3Config = StorageConfig["s3"];
