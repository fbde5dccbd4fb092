// The behaviour every RecordStore keeps, run against the embedded store and against Redis.
import { afterEach, describe, expect, it } from "@jest/globals";
import { FizzError } from "@fizz/common";
import type { RecordStore } from "../store.js";
import { enc, record, sleep } from "./records.js";

export interface StoreFactory {
  /** A fresh, empty, open store keeping at most maxRecords records. */
  (opts: { maxRecords: number }): Promise<RecordStore>;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const ids = (rs: Array<{ requestId: string }>) => rs.map((r) => r.requestId);

export function contractSuite(name: string, make: StoreFactory): void {
  describe(`${name} store contract`, () => {
    const open: RecordStore[] = [];
    const fresh = async (maxRecords = 1000) => {
      const s = await make({ maxRecords });
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it("stores a batch and gets each record back whole, truncation flags included", async () => {
      const s = await fresh();
      const a = record({ requestBody: new TextEncoder().encode("x".repeat(10)), requestBodyTruncated: true, responseBodyTruncated: true, traceId: "t1" });
      const b = record({ status: 500, trigger: "checkout", url: "/checkout/items?x=1" });
      expect(await s.put(enc([a, b]))).toBe(2);
      const got = await s.get(a.requestId);
      expect(got).toMatchObject({ requestId: a.requestId, function: "hello", traceId: "t1", requestBodyTruncated: true, responseBodyTruncated: true });
      expect(text(got!.requestBody)).toBe("x".repeat(10));
      expect(text(got!.responseBody)).toBe('{"ok":true}');
      expect(got!.requestHeaders).toEqual({ accept: "application/json" });
      expect(await s.get(b.requestId)).toMatchObject({ status: 500, trigger: "checkout", url: "/checkout/items?x=1" });
      expect(await s.get("no-such-id")).toBeUndefined();
    });

    it("replaces a record stored again under the same request id", async () => {
      const s = await fresh();
      const a = record({ status: 200 });
      await s.put(enc([a]));
      await s.put(enc([record({ requestId: a.requestId, status: 503 })]));
      expect((await s.get(a.requestId))?.status).toBe(503);
      expect(ids(await s.list({}))).toEqual([a.requestId]);
    });

    it("lists newest first, without bodies, up to the limit", async () => {
      const s = await fresh();
      const t = Date.now();
      const rs = [0, 1, 2, 3, 4].map((i) => record({ timestampMs: BigInt(t - i * 1000) }));
      await s.put(enc([rs[3]!, rs[0]!, rs[4]!, rs[1]!, rs[2]!]));
      const all = await s.list({});
      expect(ids(all)).toEqual(ids(rs));
      expect(all.every((r) => r.responseBody.length === 0 && r.requestBody.length === 0)).toBe(true);
      expect(all[0]!.responseHeaders).toEqual({ "content-type": "application/json" });
      expect(ids(await s.list({ limit: 2 }))).toEqual(ids(rs.slice(0, 2)));
    });

    it("filters by function and namespace, by trigger, and by time range", async () => {
      const s = await fresh();
      const t = Date.now();
      const a = record({ function: "cart", timestampMs: BigInt(t - 3000) });
      const b = record({ function: "cart", trigger: "checkout", timestampMs: BigInt(t - 2000) });
      const c = record({ function: "cart", namespace: "shop", timestampMs: BigInt(t - 1000) });
      const d = record({ function: "other", trigger: "checkout", timestampMs: BigInt(t) });
      await s.put(enc([a, b, c, d]));
      expect(ids(await s.list({ function: "cart" }))).toEqual(ids([b, a]));
      expect(ids(await s.list({ function: "cart", namespace: "shop" }))).toEqual(ids([c]));
      expect(ids(await s.list({ namespace: "shop" }))).toEqual(ids([c]));
      expect(ids(await s.list({ trigger: "checkout" }))).toEqual(ids([d, b]));
      expect(ids(await s.list({ trigger: "checkout", function: "cart" }))).toEqual(ids([b]));
      expect(ids(await s.list({ sinceMs: t - 2000, untilMs: t - 1000 }))).toEqual(ids([c, b]));
      expect(ids(await s.list({ sinceMs: t - 500 }))).toEqual(ids([d]));
      expect(await s.list({ function: "nobody" })).toEqual([]);
    });

    it("filters by status class or exact status, and refuses a malformed one", async () => {
      const s = await fresh();
      const t = Date.now();
      const ok = record({ status: 200, timestampMs: BigInt(t - 3) });
      const created = record({ status: 201, timestampMs: BigInt(t - 2) });
      const missing = record({ status: 404, timestampMs: BigInt(t - 1) });
      const broken = record({ status: 502, timestampMs: BigInt(t) });
      await s.put(enc([ok, created, missing, broken]));
      expect(ids(await s.list({ status: "2xx" }))).toEqual(ids([created, ok]));
      expect(ids(await s.list({ status: "4xx" }))).toEqual(ids([missing]));
      expect(ids(await s.list({ status: "5XX" }))).toEqual(ids([broken]));
      expect(ids(await s.list({ status: "201" }))).toEqual(ids([created]));
      const err = await s.list({ status: "bad" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FizzError);
      expect((err as FizzError).code).toBe("INVALID_ARGUMENT");
    });

    it("deletes records, counting only those that existed", async () => {
      const s = await fresh();
      const a = record({ trigger: "t" });
      const b = record();
      await s.put(enc([a, b]));
      expect(await s.delete([a.requestId, "never-there", a.requestId])).toBe(1);
      expect(await s.get(a.requestId)).toBeUndefined();
      expect(ids(await s.list({}))).toEqual([b.requestId]);
      expect(await s.list({ trigger: "t" })).toEqual([]);
      expect(await s.delete([a.requestId])).toBe(0);
    });

    it("forgets records after their retention, in get and in listings", async () => {
      const s = await fresh();
      const short = record({ retentionSeconds: 1n });
      const long = record({ retentionSeconds: 60n });
      await s.put(enc([short, long]));
      expect(ids(await s.list({ function: "hello" }))).toHaveLength(2);
      await sleep(1600);
      expect(await s.get(short.requestId)).toBeUndefined();
      expect(ids(await s.list({ function: "hello" }))).toEqual([long.requestId]);
      expect(ids(await s.list({}))).toEqual([long.requestId]);
    });

    it("keeps at most its bound, evicting the oldest", async () => {
      const s = await fresh(3);
      const t = Date.now();
      const rs = [0, 1, 2, 3, 4].map((i) => record({ timestampMs: BigInt(t + i) }));
      await s.put(enc(rs.slice(0, 2)));
      await s.put(enc(rs.slice(2)));
      expect(ids(await s.list({}))).toEqual(ids([rs[4]!, rs[3]!, rs[2]!]));
      expect(await s.get(rs[0]!.requestId)).toBeUndefined();
      expect(await s.get(rs[1]!.requestId)).toBeUndefined();
      expect(await s.get(rs[4]!.requestId)).toBeDefined();
    });
  });
}
