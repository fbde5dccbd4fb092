// A real S3-protocol server (s3rver, files in a temp dir) on an ephemeral port, and helpers to
// reach into a bucket behind the backend's back.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as Minio from "minio";
import S3rver from "s3rver";
import type { S3Config } from "../config.js";

export interface S3Server {
  endpoint: string;
  /** Settings for a backend on a bucket of this server (created by the backend when missing). */
  config(bucket: string): S3Config;
  /** A raw client, to inspect and tamper with what the backend stored. */
  client: Minio.Client;
  close(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  const dir = await mkdtemp(join(tmpdir(), "fizz-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const keys = { accessKey: "S3RVER", secretKey: "S3RVER" };
  return {
    endpoint,
    config: (bucket) => ({ endpoint, bucket, region: "us-east-1", ...keys }),
    client: new Minio.Client({ endPoint: "127.0.0.1", port, useSSL: false, region: "us-east-1", pathStyle: true, ...keys }),
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every object name in a bucket, temp uploads included. */
export async function objectNames(client: Minio.Client, bucket: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of client.listObjectsV2(bucket, "", true) as AsyncIterable<Minio.BucketItem>) if (o.name) out.push(o.name);
  return out.sort();
}

/** Replaces an archive's bytes while keeping its recorded sha256 and size (corruption at rest). */
export async function corruptObject(client: Minio.Client, bucket: string, id: string, content: Uint8Array): Promise<void> {
  const key = `archives/${id}`;
  const { metaData } = await client.statObject(bucket, key);
  await client.putObject(bucket, key, Buffer.from(content), content.length, {
    "x-amz-meta-sha256": String(metaData.sha256),
    "x-amz-meta-size": String(metaData.size),
  });
}

let buckets = 0;
/** A bucket name not used before in this process. */
export const freshBucket = () => `fizz-test-${process.pid}-${++buckets}`;
