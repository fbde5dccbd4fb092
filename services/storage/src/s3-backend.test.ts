import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { backendContract, chunked, chunks, failure } from "./__fixtures__/contract.js";
import { corruptObject, freshBucket, objectNames, startS3Server, type S3Server } from "./__fixtures__/s3rver.js";
import { S3Backend } from "./s3-backend.js";

const PART = 5 * 1024 * 1024;
let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.close());

async function openBackend(bucket = freshBucket()) {
  const backend = new S3Backend(s3.config(bucket), undefined, { partSize: PART });
  await backend.open();
  return backend;
}

backendContract("S3Backend", async () => {
  const backend = await openBackend();
  return {
    backend,
    names: () => objectNames(s3.client, backend.bucket),
    corrupt: (id, content) => corruptObject(s3.client, backend.bucket, id, content),
    reopen: () => openBackend(backend.bucket),
    largeSize: 2 * PART + 7, // three parts
    cleanup: async () => {},
  };
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe("S3Backend on the server", () => {
  it("creates its bucket when missing, and opens an existing one", async () => {
    const bucket = freshBucket();
    expect(await s3.client.bucketExists(bucket)).toBe(false);
    await openBackend(bucket);
    expect(await s3.client.bucketExists(bucket)).toBe(true);
    await openBackend(bucket);
  });

  it("fails with UNAVAILABLE naming the endpoint when it is unreachable", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const backend = new S3Backend({ ...s3.config("fizz-archives"), endpoint });
    const err = await failure(backend.open());
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toContain(`S3 endpoint ${endpoint} is unreachable`);
  });

  it("records sha256 and size as object metadata, for single-part and multipart uploads alike", async () => {
    const backend = await openBackend();
    const small = Buffer.from("small");
    const big = randomBytes(PART + 1);
    const a = await backend.put(chunks(small), { maxBytes: PART * 2 });
    const b = await backend.put(chunked(big), { maxBytes: PART * 2 }); // headerless: via a temp object
    for (const [info, data] of [[a, small], [b, big]] as const) {
      const { metaData, size } = await s3.client.statObject(backend.bucket, `archives/${info.id}`);
      expect(metaData).toMatchObject({ sha256: createHash("sha256").update(data).digest("hex"), size: String(data.length) });
      expect(size).toBe(data.length);
    }
    expect(await objectNames(s3.client, backend.bucket)).toEqual([`archives/${a.id}`, `archives/${b.id}`].sort());
  });

  it("an object without its metadata is DATA_LOSS, and not listed", async () => {
    const backend = await openBackend();
    const good = await backend.put(chunks("good"), { maxBytes: 100 });
    const { id } = await backend.put(chunks("data"), { maxBytes: 100 });
    await s3.client.putObject(backend.bucket, `archives/${id}`, Buffer.from("data"), 4); // metadata lost
    const err = await failure(backend.stat(id));
    expect(err.code).toBe("DATA_LOSS");
    expect(err.message).toContain("metadata is incomplete");
    expect((await backend.list()).map((x) => x.id)).toEqual([good.id]);
  });

  it("ignores foreign objects in the bucket", async () => {
    const backend = await openBackend();
    await s3.client.putObject(backend.bucket, "notes.txt", Buffer.from("x"), 1);
    await s3.client.putObject(backend.bucket, "archives/not-a-uuid", Buffer.from("x"), 1);
    expect(await backend.list()).toEqual([]);
  });
});
