import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@fizz/common";
import { storageServiceSuite } from "./__fixtures__/service-suite.js";
import { corruptObject, freshBucket, objectNames, startS3Server, type S3Server } from "./__fixtures__/s3rver.js";
import { configSchema } from "./config.js";
import { StorageService } from "./storage.js";

let s3: S3Server | undefined;
afterAll(() => s3?.close());

const s3Env = (server: S3Server, bucket: string, stateDir: string) => ({
  FIZZ_STATE_DIR: stateDir,
  FIZZ_STORAGE_BACKEND: "s3",
  FIZZ_S3_ENDPOINT: server.endpoint,
  FIZZ_S3_BUCKET: bucket,
  FIZZ_S3_ACCESS_KEY: "S3RVER",
  FIZZ_S3_SECRET_KEY: "S3RVER",
});

storageServiceSuite("S3 (s3rver)", async () => {
  s3 = await startS3Server();
  const server = s3;
  const bucket = freshBucket();
  const stateDir = await mkdtemp(join(tmpdir(), "fizz-storage-s3-"));
  return {
    env: s3Env(server, bucket, stateDir),
    names: () => objectNames(server.client, bucket),
    corrupt: (id, content) => corruptObject(server.client, bucket, id, content),
    cleanup: async () => {
      // Nothing of the S3 backend's lands in the state dir.
      expect(await readdir(stateDir)).toEqual([]);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
});

describe("StorageService configured for S3", () => {
  it("does not start when the endpoint is unreachable, naming it", async () => {
    const env = { ...s3Env(s3!, freshBucket(), tmpdir()), FIZZ_S3_ENDPOINT: "http://127.0.0.1:1", FIZZ_STORAGE: "127.0.0.1:0" };
    const svc = new StorageService(loadConfig(configSchema, env, "storage"));
    await expect(svc.start()).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("S3 endpoint http://127.0.0.1:1 is unreachable") });
    await svc.stop();
  });
});
