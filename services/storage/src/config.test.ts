import { describe, expect, it } from "@jest/globals";
import { homedir } from "node:os";
import { join } from "node:path";
import { FizzError, loadConfig } from "@fizz/common";
import { configSchema } from "./config.js";

const load = (env: Record<string, string>) => loadConfig(configSchema, env, "storage");

const messageOf = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (e) {
    expect(e).toBeInstanceOf(FizzError);
    return (e as Error).message;
  }
  throw new Error("expected a configuration error");
};

describe("storage config", () => {
  it("has defaults: fs backend, gc every minute with a 10 minute grace", () => {
    expect(load({})).toEqual({
      address: "127.0.0.1:9092",
      adminAddress: "127.0.0.1:9090",
      stateDir: join(homedir(), ".fizz"),
      maxBytes: 256 * 1024 * 1024,
      backend: "fs",
      s3: { endpoint: "", bucket: "fizz-archives", accessKey: "", secretKey: "", region: "us-east-1" },
      gc: { graceMs: 600_000, intervalMs: 60_000 },
      metricsAddress: "127.0.0.1:9192",
    });
  });

  it("reads FIZZ_STORAGE (port 0 allowed, scheme stripped), FIZZ_ADMIN, FIZZ_STATE_DIR, FIZZ_STORAGE_MAX_BYTES and the gc settings", () => {
    expect(
      load({
        FIZZ_STORAGE: "grpc://0.0.0.0:0",
        FIZZ_ADMIN: "grpc://10.0.0.1:7000",
        FIZZ_STATE_DIR: "/var/fizz",
        FIZZ_STORAGE_MAX_BYTES: "1024",
        FIZZ_STORAGE_GC_GRACE_MS: "5000",
        FIZZ_STORAGE_GC_INTERVAL_MS: "0",
      }),
    ).toMatchObject({ address: "0.0.0.0:0", adminAddress: "10.0.0.1:7000", stateDir: "/var/fizz", maxBytes: 1024, gc: { graceMs: 5000, intervalMs: 0 } });
  });

  it("reads the S3 settings", () => {
    const c = load({
      FIZZ_STORAGE_BACKEND: "s3",
      FIZZ_S3_ENDPOINT: "http://127.0.0.1:9000",
      FIZZ_S3_BUCKET: "archives",
      FIZZ_S3_ACCESS_KEY: "ak",
      FIZZ_S3_SECRET_KEY: "sk",
      FIZZ_S3_REGION: "eu-west-1",
    });
    expect(c.backend).toBe("s3");
    expect(c.s3).toEqual({ endpoint: "http://127.0.0.1:9000", bucket: "archives", accessKey: "ak", secretKey: "sk", region: "eu-west-1" });
  });

  it("names every bad setting", () => {
    expect(messageOf({ FIZZ_STORAGE: "nohost", FIZZ_STORAGE_MAX_BYTES: "-5" })).toMatch(/FIZZ_STORAGE:.*\n.*FIZZ_STORAGE_MAX_BYTES/s);
    expect(messageOf({ FIZZ_STORAGE_BACKEND: "gcs" })).toContain("FIZZ_STORAGE_BACKEND");
    expect(messageOf({ FIZZ_STORAGE_GC_GRACE_MS: "-1" })).toContain("FIZZ_STORAGE_GC_GRACE_MS");
    const s3 = messageOf({ FIZZ_STORAGE_BACKEND: "s3", FIZZ_S3_BUCKET: "Bad_Bucket" });
    for (const k of ["FIZZ_S3_ENDPOINT", "FIZZ_S3_ACCESS_KEY", "FIZZ_S3_SECRET_KEY", "FIZZ_S3_BUCKET"]) expect(s3).toContain(k);
    expect(messageOf({ FIZZ_STORAGE_BACKEND: "s3", FIZZ_S3_ENDPOINT: "ftp://x", FIZZ_S3_ACCESS_KEY: "a", FIZZ_S3_SECRET_KEY: "b" })).toContain(
      "FIZZ_S3_ENDPOINT: must be an http(s) URL",
    );
  });
});
