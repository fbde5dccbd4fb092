// RecorderService over gRPC with the embedded store, as `fizz up` runs it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecorderService } from "@fizz/proto";
import { FizzError } from "@fizz/common";
import { createClient, type Client } from "@fizz/rpc";
import { Recorder } from "./recorder.js";
import { MAX_BATCH } from "./handlers.js";
import { configSchema } from "./config.js";
import { record } from "./store/__fixtures__/records.js";

type RecorderClient = Client<(typeof RecorderService)["method"]>;

const dir = mkdtempSync(join(tmpdir(), "fizz-recorder-"));
const config = configSchema.parse({ FIZZ_RECORDER: "127.0.0.1:0", FIZZ_ROUTER: "127.0.0.1:1", FIZZ_STATE_DIR: dir });
let svc: Recorder;
let client: RecorderClient;

async function start() {
  svc = new Recorder(config);
  await svc.start();
  client = createClient(RecorderService, svc.address!);
}
async function stop() {
  client?.close();
  await svc?.stop();
}

beforeAll(start);
afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(FizzError);
  return `${(err as FizzError).code}: ${(err as FizzError).message}`;
}

describe("RecorderService", () => {
  const t = Date.now();
  const a = record({ function: "cart", status: 200, timestampMs: BigInt(t - 2000) });
  const b = record({ function: "cart", trigger: "checkout", status: 502, timestampMs: BigInt(t - 1000) });
  const c = record({ function: "other", status: 404, timestampMs: BigInt(t) });

  it("stores a batch, lists it newest first without bodies, and gets one record whole", async () => {
    expect((await client.storeBatch({ records: [a, b, c] })).stored).toBe(3);
    const all = await client.listRecords({});
    expect(all.records.map((r) => r.requestId)).toEqual([c.requestId, b.requestId, a.requestId]);
    expect(all.records.every((r) => r.responseBody.length === 0)).toBe(true);
    const cart = await client.listRecords({ function: "cart", status: "5xx" });
    expect(cart.records.map((r) => r.requestId)).toEqual([b.requestId]);
    expect((await client.listRecords({ trigger: "checkout" })).records).toHaveLength(1);
    expect((await client.listRecords({ sinceMs: BigInt(t - 1500), limit: 1 })).records.map((r) => r.requestId)).toEqual([c.requestId]);
    const got = await client.getRecord({ requestId: a.requestId });
    expect(new TextDecoder().decode(got.responseBody)).toBe('{"ok":true}');
  });

  it("fills in what a router left empty, whole batches and one-by-one records alike", async () => {
    const bare = record({ namespace: "", retentionSeconds: 0n, timestampMs: 0n });
    const full = record({ function: "filled" });
    expect((await client.storeBatch({ records: [full, bare] })).stored).toBe(2);
    const got = await client.getRecord({ requestId: bare.requestId });
    expect(got.namespace).toBe("default");
    expect(got.retentionSeconds).toBe(86_400n);
    expect(Number(got.timestampMs)).toBeGreaterThan(Date.now() - 60_000);
    expect((await client.getRecord({ requestId: full.requestId })).function).toBe("filled");
  });

  it("keeps records across a restart", async () => {
    await stop();
    await start();
    expect((await client.getRecord({ requestId: b.requestId })).status).toBe(502);
  });

  it("deletes records", async () => {
    expect((await client.deleteRecords({ requestIds: [c.requestId, "nope"] })).deleted).toBe(1);
    expect(await codeOf(client.getRecord({ requestId: c.requestId }))).toBe(`NOT_FOUND: record ${c.requestId} not found (it may have expired)`);
  });

  it("refuses batches over 1000 records, records without an id, and malformed filters", async () => {
    const many = Array.from({ length: MAX_BATCH + 1 }, () => record());
    expect(await codeOf(client.storeBatch({ records: many }))).toMatch(new RegExp(`^INVALID_ARGUMENT: a batch holds at most ${MAX_BATCH} records, got ${MAX_BATCH + 1}`));
    expect(await codeOf(client.storeBatch({ records: [record({ requestId: "" })] }))).toBe("INVALID_ARGUMENT: record has no request_id");
    const good = record();
    expect(await codeOf(client.storeBatch({ records: [good, record({ requestId: "bad id" })] }))).toBe('INVALID_ARGUMENT: record request_id "bad id" is not valid');
    expect(await codeOf(client.getRecord({ requestId: good.requestId }))).toMatch(/^NOT_FOUND/);
    expect(await codeOf(client.listRecords({ status: "ok" }))).toMatch(/^INVALID_ARGUMENT: status "ok" must be a class/);
    expect(await codeOf(client.replay({ requestId: "missing" }))).toBe("NOT_FOUND: record missing not found (it may have expired)");
  });

  it("says UNAVAILABLE when the router cannot be reached for a replay", async () => {
    expect(await codeOf(client.replay({ requestId: a.requestId }))).toMatch(/^UNAVAILABLE: replaying .* through the router at http:\/\/127\.0\.0\.1:1 failed/);
  });
});

describe("configuration", () => {
  it("defaults to port 9094, the embedded store and the local router", () => {
    const c = configSchema.parse({});
    expect(c.address).toBe("127.0.0.1:9094");
    expect(c.redisUrl).toBe("");
    expect(c.routerUrl).toBe("http://127.0.0.1:8888");
    expect(c.maxRecords).toBe(10_000);
    expect(c.maxBytes).toBe(64 * 1024 * 1024);
  });

  it("accepts a redis URL with a db and refuses anything else", () => {
    expect(configSchema.parse({ FIZZ_REDIS_URL: "redis://10.0.0.5:6379/2" }).redisUrl).toBe("redis://10.0.0.5:6379/2");
    expect(configSchema.safeParse({ FIZZ_REDIS_URL: "http://x" }).success).toBe(false);
    expect(configSchema.safeParse({ FIZZ_RECORDER: "nope" }).success).toBe(false);
  });
});
