// The store contract and Redis specifics against a real redis-server.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { RedisStore } from "./redis-store.js";
import { contractSuite } from "./__fixtures__/contract.js";
import { startRedis, type RunningRedis } from "./__fixtures__/redis.js";
import { enc, record, sleep } from "./__fixtures__/records.js";

let server: RunningRedis;
let raw: Redis;
beforeAll(async () => {
  server = await startRedis();
  raw = new Redis(server.url);
}, 20_000);
afterAll(async () => {
  await raw?.quit();
  await server?.stop();
});

contractSuite("redis", async ({ maxRecords }) => {
  await raw.flushdb();
  const s = new RedisStore({ url: server.url, maxPerIndex: maxRecords });
  await s.open();
  return s;
});

describe("redis store layout", () => {
  it("keeps a record under fizz:rec:<id> with its retention as TTL, indexed per function, trigger and globally", async () => {
    await raw.flushdb();
    const s = new RedisStore({ url: server.url, maxPerIndex: 100 });
    await s.open();
    const r = record({ function: "cart", namespace: "shop", trigger: "checkout", retentionSeconds: 600n });
    await s.put(enc([r]));
    const ttl = await raw.ttl(`fizz:rec:${r.requestId}`);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    for (const idx of ["fizz:recidx:all", "fizz:recidx:fn:shop/cart", "fizz:recidx:tr:shop/checkout"]) {
      expect(await raw.zscore(idx, r.requestId)).toBe(String(r.timestampMs));
      // An idle index expires with the records in it.
      expect(await raw.ttl(idx)).toBeGreaterThan(590);
    }
    await s.close();
  });

  it("removes index entries of expired records when listing, and prunes entries older than the longest retention on write", async () => {
    await raw.flushdb();
    const s = new RedisStore({ url: server.url, maxPerIndex: 100, maxIndexAgeSeconds: 60 });
    await s.open();
    const short = record({ function: "cart", retentionSeconds: 1n });
    await s.put(enc([short]));
    await sleep(1200);
    expect(await s.list({ function: "cart" })).toEqual([]);
    expect(await raw.zscore("fizz:recidx:fn:default/cart", short.requestId)).toBeNull();
    const ancient = record({ function: "cart", timestampMs: BigInt(Date.now() - 120_000) });
    await s.put(enc([ancient]));
    expect(await raw.zscore("fizz:recidx:fn:default/cart", ancient.requestId)).toBeNull();
    await s.close();
  });

  it("fails to open with UNAVAILABLE when Redis is not there", async () => {
    const s = new RedisStore({ url: "redis://127.0.0.1:1/0", maxPerIndex: 10 });
    await expect(s.open()).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });
});
