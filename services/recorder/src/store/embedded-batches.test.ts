// The embedded store keeping whole batches: one log frame per batch, eviction by batch, expiry by
// record, older logs, and its row table across repacks.
import { afterAll, describe, expect, it } from "@jest/globals";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { RecordSchema, StoreBatchRequestSchema, type Record as RecordMsg } from "@fizz/proto";
import { EmbeddedStore, type EmbeddedStoreOptions } from "./embedded-store.js";
import { record } from "./__fixtures__/records.js";

const dir = mkdtempSync(join(tmpdir(), "fizz-recorder-batches-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const logFile = () => join(dir, `s${++n}`, "records.log");
const batch = (rs: RecordMsg[]) => toBinary(StoreBatchRequestSchema, create(StoreBatchRequestSchema, { records: rs }));
const ids = (rs: Array<{ requestId: string }>) => rs.map((r) => r.requestId).sort();

/** A put frame of the older log format: [u32 length][1][f64 expires-at][Record binary]. */
function legacyPut(r: RecordMsg, expiresAt: number): Buffer {
  const body = toBinary(RecordSchema, r);
  const f = Buffer.alloc(13 + body.length);
  f.writeUInt32BE(9 + body.length, 0);
  f[4] = 1;
  f.writeDoubleBE(expiresAt, 5);
  f.set(body, 13);
  return f;
}

async function opened(opts: Partial<EmbeddedStoreOptions> & { file?: string }): Promise<EmbeddedStore> {
  const s = new EmbeddedStore({ maxRecords: 1000, maxBytes: 1 << 24, ...opts });
  await s.open();
  return s;
}

describe("embedded store batches", () => {
  it("logs a received batch as one frame holding its bytes as sent, and reads it back after a restart", async () => {
    const file = logFile();
    const rs = [record({ url: "/a" }), record({ trigger: "t1", status: 500 }), record({ requestBody: new Uint8Array(300).fill(7) })];
    const bytes = batch(rs);
    const a = await opened({ file });
    expect(await a.putBatch(bytes)).toBe(3);
    expect(a.logSize).toBe(13 + bytes.length);
    expect(Buffer.from(readFileSync(file).subarray(13))).toEqual(Buffer.from(bytes));
    await a.close();
    const b = await opened({ file });
    for (const r of rs) expect(await b.get(r.requestId)).toEqual(r);
    expect(ids(await b.list({ trigger: "t1" }))).toEqual([rs[1]!.requestId]);
    expect(ids(await b.list({ status: "5xx" }))).toEqual([rs[1]!.requestId]);
    await b.close();
  });

  it("copies a batch that is a small view into a larger buffer, so it does not hold the rest", async () => {
    const s = await opened({});
    const r = record();
    const bytes = batch([r]);
    const big = Buffer.alloc(64 * 1024);
    big.set(bytes, 100);
    const view = big.subarray(100, 100 + bytes.length);
    expect(await s.putBatch(view)).toBe(1);
    big.fill(0); // the caller's buffer is reused
    expect(await s.get(r.requestId)).toEqual(r);
    await s.close();
  });

  it("leaves batches with fields to fill in, invalid records or malformed bytes to put, storing nothing", async () => {
    const s = await opened({ file: logFile() });
    expect(await s.putBatch(batch([record(), record({ namespace: "" })]))).toBeUndefined();
    expect(await s.putBatch(batch([record(), record({ retentionSeconds: 0n })]))).toBeUndefined();
    expect(await s.putBatch(batch([record(), record({ requestId: "has space" })]))).toBeUndefined();
    expect(await s.putBatch(batch([record({ function: "" })]))).toBeUndefined();
    expect(await s.putBatch(new Uint8Array([0x0a, 3, 0x08]))).toBeUndefined();
    expect(await s.putBatch(new Uint8Array([0x12, 0]))).toBeUndefined();
    expect(s.size).toBe(0);
    expect(s.logSize).toBe(0);
    await s.close();
  });

  it("logs a batch evicted whole as one frame and a partly evicted one as deletes; both hold after a restart", async () => {
    const file = logFile();
    const s = await opened({ file, maxRecords: 5 });
    const [a, b, c] = [0, 1, 2].map(() => [record(), record(), record()]);
    await s.putBatch(batch(a!));
    await s.putBatch(batch(b!)); // 6 > 5: a[0] goes, as a delete
    expect(await s.get(a![0]!.requestId)).toBeUndefined();
    const before = s.logSize;
    await s.putBatch(batch(c!)); // a[1], a[2] go (a is gone whole: one frame), then b[0] (a delete)
    const dropFrame = 13;
    const delFrame = 5 + b![0]!.requestId.length;
    expect(s.logSize - before).toBe(13 + batch(c!).length + dropFrame + delFrame);
    const left = [...b!.slice(1), ...c!];
    expect(ids(await s.list({}))).toEqual(ids(left));
    await s.close();
    const again = await opened({ file, maxRecords: 100 });
    expect(ids(await again.list({}))).toEqual(ids(left));
    await again.close();
  });

  it("does not let a batch evicted whole take a record stored again later under the same id", async () => {
    const file = logFile();
    const s = await opened({ file, maxRecords: 1 });
    const x = record({ status: 200 });
    const y = record();
    await s.putBatch(batch([x, y]));
    const x2 = record({ requestId: x.requestId, status: 503 });
    await s.putBatch(batch([x2])); // replaces x, then y is evicted and the first batch with it
    expect((await s.get(x.requestId))?.status).toBe(503);
    await s.close();
    const again = await opened({ file, maxRecords: 10 });
    expect(ids(await again.list({}))).toEqual([x.requestId]);
    expect((await again.get(x.requestId))?.status).toBe(503);
    await again.close();
  });

  it("keeps the last of a request id repeated in one batch, and accounts the batch once", async () => {
    const file = logFile();
    const x = record({ status: 200 });
    const again = record({ requestId: x.requestId, status: 503 });
    const y = record();
    // Room for either batch but not both: the memory bound sees the first batch's bytes (once).
    const s = await opened({ file, maxBytes: 13 + batch([x, again]).length + 13 + batch([y]).length - 1 });
    await s.putBatch(batch([x, again]));
    expect(s.size).toBe(1);
    expect((await s.get(x.requestId))?.status).toBe(503);
    const before = s.logSize;
    await s.putBatch(batch([y])); // the first batch goes whole: one frame
    expect(s.logSize - before).toBe(13 + batch([y]).length + 13);
    await s.close();
    const reopened = await opened({ file, maxRecords: 10 });
    expect(ids(await reopened.list({}))).toEqual([y.requestId]);
    await reopened.close();
  });

  it("evicts records loaded from an older log's frames, and they stay gone after a restart", async () => {
    const file = logFile();
    const [a, b] = [record(), record()];
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.concat([a, b].map((r) => legacyPut(r, Date.now() + 60_000))));
    const s = await opened({ file, maxRecords: 1 }); // a goes on open
    expect(ids(await s.list({}))).toEqual([b.requestId]);
    await s.close();
    const again = await opened({ file, maxRecords: 10 });
    expect(ids(await again.list({}))).toEqual([b.requestId]);
    await again.close();
  });

  it("expires the records of one batch each at its own retention, also across a restart", async () => {
    const file = logFile();
    let now = Date.now();
    const clock = () => now;
    const brief = record({ retentionSeconds: 10n });
    const long = record({ retentionSeconds: 100n });
    const s = await opened({ file, now: clock });
    await s.putBatch(batch([brief, long]));
    now += 11_000;
    expect(ids(await s.list({}))).toEqual([long.requestId]);
    expect(await s.get(brief.requestId)).toBeUndefined();
    await s.putBatch(batch([record({ retentionSeconds: 1n })])); // sweeps expired rows
    expect(s.size).toBe(2);
    await s.close();
    const again = await opened({ file, now: clock });
    expect(again.size).toBe(2); // the expired one is not even loaded
    expect(await again.get(long.requestId)).toEqual(long);
    expect(await again.get(brief.requestId)).toBeUndefined();
    now += 90_000;
    expect(await again.list({})).toEqual([]);
    await again.close();
  });

  it("reads a log of the older one-record-per-frame format and compacts it into batches", async () => {
    const file = logFile();
    const now = Date.now();
    const put = legacyPut;
    const del = (id: string) => Buffer.concat([Buffer.from([0, 0, 0, 1 + id.length, 2]), Buffer.from(id)]);
    const [keep, expired, deleted, other] = [record(), record(), record(), record({ url: "/other" })];
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.concat([put(keep, now + 3_600_000), put(expired, now - 1), put(deleted, now + 60_000), del(deleted.requestId), put(other, now + 60_000)]));
    const s = await opened({ file, minCompactBytes: 1 });
    expect(ids(await s.list({}))).toEqual(ids([keep, other]));
    await s.delete([other.requestId]); // compacts: the old frames become batch frames
    expect(s.logSize).toBe(statSync(file).size);
    expect(readFileSync(file)[4]).toBe(3);
    await s.close();
    const again = await opened({ file });
    expect(await again.get(keep.requestId)).toEqual(keep);
    expect(again.size).toBe(1);
    await again.close();
  });

  it("cuts off a complete last frame whose records cannot be read", async () => {
    const file = logFile();
    const s = await opened({ file });
    const r = record();
    await s.putBatch(batch([r]));
    await s.close();
    const good = statSync(file).size;
    const junk = Buffer.from([0x0a, 2, 0xff, 0xff]);
    const head = Buffer.alloc(13);
    head.writeUInt32BE(9 + junk.length, 0);
    head[4] = 3;
    appendFileSync(file, Buffer.concat([head, junk]));
    const again = await opened({ file });
    expect(statSync(file).size).toBe(good);
    expect(await again.get(r.requestId)).toEqual(r);
    await again.close();
  });

  it("keeps gets, lists and bounds right across many batches, deletes and table repacks", async () => {
    const file = logFile();
    const s = await opened({ file, maxRecords: 1500, minCompactBytes: 64 * 1024 });
    const t = Date.now();
    const all: RecordMsg[] = [];
    for (let i = 0; i < 40; i++) {
      const rs = Array.from({ length: 100 }, (_, j) => record({ function: `f${j % 3}`, url: `/${i}/${j}`, timestampMs: BigInt(t + i * 100 + j) }));
      all.push(...rs);
      await s.putBatch(batch(rs));
      await s.delete(rs.filter((_, j) => j % 10 === 0).map((r) => r.requestId));
    }
    // Each put evicts down to 1500, then the batch's deletes leave 1490: the newest undeleted ones.
    const live = all.filter((_, k) => k % 10 !== 0).slice(-1490);
    expect(s.size).toBe(1490);
    for (const r of [live[0]!, live[700]!, live[1489]!]) expect(await s.get(r.requestId)).toEqual(r);
    expect(await s.get(all.at(-100)!.requestId)).toBeUndefined();
    const f1 = await s.list({ function: "f1", limit: 1000 });
    expect(f1.map((r) => r.requestId)).toEqual(live.filter((r) => r.function === "f1").reverse().map((r) => r.requestId));
    await s.close();
    const again = await opened({ file, maxRecords: 1500 });
    expect(ids(await again.list({ limit: 1000, sinceMs: t + 3000 }))).toEqual(ids(live.filter((r) => Number(r.timestampMs) >= t + 3000)));
    expect(again.size).toBe(1490);
    await again.close();
  });
});
