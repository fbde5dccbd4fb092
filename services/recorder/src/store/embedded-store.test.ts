// The store contract for the embedded store, and its log: restart, torn tail, compaction, bytes bound.
import { afterAll, describe, expect, it } from "@jest/globals";
import { appendFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { RecordSchema, StoreBatchRequestSchema } from "@fizz/proto";
import { EmbeddedStore } from "./embedded-store.js";
import { encodedFromBytes, recordSlices } from "./record-bytes.js";
import { contractSuite } from "./__fixtures__/contract.js";
import { enc, record } from "./__fixtures__/records.js";

const dir = mkdtempSync(join(tmpdir(), "fizz-recorder-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const logFile = () => join(dir, `s${++n}`, "records.log");

contractSuite("embedded", async ({ maxRecords }) => {
  const s = new EmbeddedStore({ file: logFile(), maxRecords, maxBytes: 64 * 1024 * 1024 });
  await s.open();
  return s;
});

describe("embedded store log", () => {
  const opts = { maxRecords: 1000, maxBytes: 1 << 20 };

  it("keeps records, deletes and expiry across a restart", async () => {
    const file = logFile();
    let now = Date.now();
    const a = new EmbeddedStore({ ...opts, file, now: () => now });
    await a.open();
    const keep = record({ retentionSeconds: 3600n });
    const gone = record();
    const brief = record({ retentionSeconds: 10n });
    await a.put(enc([keep, gone, brief]));
    await a.delete([gone.requestId]);
    await a.close();
    now += 11_000;
    const b = new EmbeddedStore({ ...opts, file, now: () => now });
    await b.open();
    expect((await b.list({})).map((r) => r.requestId)).toEqual([keep.requestId]);
    expect(new TextDecoder().decode((await b.get(keep.requestId))!.responseBody)).toBe('{"ok":true}');
    await b.close();
  });

  it("logs received record bytes as is, and re-encodes records it had to fill in", async () => {
    const file = logFile();
    const asSent = record({ requestHeaders: { a: "1", b: "ü" } });
    const filled = record({ namespace: "" });
    const batch = toBinary(StoreBatchRequestSchema, create(StoreBatchRequestSchema, { records: [asSent, filled] }));
    const slices = recordSlices(batch)!;
    expect(slices.map((b) => Buffer.from(b))).toEqual([asSent, filled].map((r) => Buffer.from(toBinary(RecordSchema, r))));
    // Bytes that differ from the message (another url) show which of the two reached the log.
    const marked = (r: typeof asSent) => toBinary(RecordSchema, create(RecordSchema, { ...r, url: "/marked" }));
    const a = new EmbeddedStore({ ...opts, file });
    await a.open();
    await a.put([encodedFromBytes(marked(asSent)), encodedFromBytes(marked(filled))]);
    await a.close();
    const b = new EmbeddedStore({ ...opts, file });
    await b.open();
    expect(await b.get(asSent.requestId)).toEqual({ ...asSent, url: "/marked" });
    expect(await b.get(filled.requestId)).toEqual({ ...filled, url: "/marked", namespace: "default" });
    await b.close();
    expect(recordSlices(new Uint8Array([0x12, 0]))).toBeUndefined();
    expect(recordSlices(new Uint8Array([0x0a, 5, 1]))).toBeUndefined();
  });

  it("ignores a torn last entry and keeps appending after it", async () => {
    const file = logFile();
    const a = new EmbeddedStore({ ...opts, file });
    await a.open();
    const first = record();
    await a.put(enc([first]));
    await a.close();
    const good = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 1, 0, 1, 9, 9])); // claims 256 bytes, has 3
    const b = new EmbeddedStore({ ...opts, file });
    await b.open();
    expect(statSync(file).size).toBe(good);
    const second = record();
    await b.put(enc([second]));
    await b.close();
    const c = new EmbeddedStore({ ...opts, file });
    await c.open();
    expect((await c.list({})).map((r) => r.requestId).sort()).toEqual([first.requestId, second.requestId].sort());
    await c.close();
  });

  it("compacts the log once less than a quarter of it is live", async () => {
    const file = logFile();
    const s = new EmbeddedStore({ ...opts, file, minCompactBytes: 1 });
    await s.open();
    const rs = Array.from({ length: 10 }, () => record());
    await s.put(enc(rs));
    const full = s.logSize;
    await s.delete(rs.slice(0, 7).map((r) => r.requestId));
    expect(s.logSize).toBeGreaterThan(full); // 3 of 10 live: no compaction yet
    await s.delete(rs.slice(7, 8).map((r) => r.requestId));
    expect(s.logSize).toBeLessThan(full / 4);
    expect(statSync(file).size).toBe(s.logSize);
    await s.close();
    const again = new EmbeddedStore({ ...opts, file });
    await again.open();
    expect((await again.list({})).map((r) => r.requestId).sort()).toEqual(rs.slice(8).map((r) => r.requestId).sort());
    await again.close();
  });

  it("keeps records intact through repeated compactions and restarts (entries copied by offset)", async () => {
    const file = logFile();
    const kept: ReturnType<typeof record>[] = [];
    for (let round = 0; round < 4; round++) {
      const s = new EmbeddedStore({ ...opts, file, minCompactBytes: 1 });
      await s.open();
      const rs = Array.from({ length: 6 }, (_, i) => record({ url: `/r${round}/${i}`, requestBody: new Uint8Array(i * 7).fill(round) }));
      await s.put(enc(rs));
      await s.delete(rs.slice(0, 5).map((r) => r.requestId)); // compacts: less than a quarter live
      kept.push(...rs.slice(5));
      for (const r of kept) expect(await s.get(r.requestId)).toEqual(r);
      await s.close();
    }
    const again = new EmbeddedStore({ ...opts, file });
    await again.open();
    expect(again.size).toBe(kept.length);
    for (const r of kept) expect(await again.get(r.requestId)).toEqual(r);
    await again.close();
  });

  it("records evicted by the count bound stay gone after a restart with a larger bound", async () => {
    const file = logFile();
    const a = new EmbeddedStore({ ...opts, file, maxRecords: 3 });
    await a.open();
    const rs = Array.from({ length: 5 }, () => record());
    await a.put(enc(rs.slice(0, 2)));
    await a.put(enc(rs.slice(2))); // evicts two in one pass: their delete frames share one write
    await a.close();
    const b = new EmbeddedStore({ ...opts, file, maxRecords: 10 });
    await b.open();
    expect((await b.list({})).map((r) => r.requestId).sort()).toEqual(rs.slice(2).map((r) => r.requestId).sort());
    await b.close();
  });

  it("evicts the oldest records beyond its byte bound", async () => {
    const body = new Uint8Array(1000);
    const s = new EmbeddedStore({ maxRecords: 1000, maxBytes: 3500 });
    await s.open();
    const rs = Array.from({ length: 5 }, () => record({ responseBody: body }));
    for (const r of rs) await s.put(enc([r]));
    const left = (await s.list({})).map((r) => r.requestId);
    expect(left.length).toBe(3);
    expect(await s.get(rs[0]!.requestId)).toBeUndefined();
    expect(await s.get(rs[4]!.requestId)).toBeDefined();
    await s.close();
  });
});
