// The store contract for the embedded store, and its log: restart, torn tail, compaction, bytes bound.
import { afterAll, describe, expect, it } from "@jest/globals";
import { appendFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedStore } from "./embedded-store.js";
import { contractSuite } from "./__fixtures__/contract.js";
import { record } from "./__fixtures__/records.js";

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
    await a.put([keep, gone, brief]);
    await a.delete([gone.requestId]);
    await a.close();
    now += 11_000;
    const b = new EmbeddedStore({ ...opts, file, now: () => now });
    await b.open();
    expect((await b.list({})).map((r) => r.requestId)).toEqual([keep.requestId]);
    expect(new TextDecoder().decode((await b.get(keep.requestId))!.responseBody)).toBe('{"ok":true}');
    await b.close();
  });

  it("ignores a torn last entry and keeps appending after it", async () => {
    const file = logFile();
    const a = new EmbeddedStore({ ...opts, file });
    await a.open();
    const first = record();
    await a.put([first]);
    await a.close();
    const good = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 1, 0, 1, 9, 9])); // claims 256 bytes, has 3
    const b = new EmbeddedStore({ ...opts, file });
    await b.open();
    expect(statSync(file).size).toBe(good);
    const second = record();
    await b.put([second]);
    await b.close();
    const c = new EmbeddedStore({ ...opts, file });
    await c.open();
    expect((await c.list({})).map((r) => r.requestId).sort()).toEqual([first.requestId, second.requestId].sort());
    await c.close();
  });

  it("compacts the log once more than half of it is dead", async () => {
    const file = logFile();
    const s = new EmbeddedStore({ ...opts, file, minCompactBytes: 1 });
    await s.open();
    const rs = Array.from({ length: 10 }, () => record());
    await s.put(rs);
    const full = s.logSize;
    await s.delete(rs.slice(0, 4).map((r) => r.requestId));
    expect(s.logSize).toBeGreaterThan(full); // 6 of 10 live: no compaction yet
    await s.delete(rs.slice(4, 6).map((r) => r.requestId));
    expect(s.logSize).toBeLessThan(full / 2);
    expect(statSync(file).size).toBe(s.logSize);
    await s.close();
    const again = new EmbeddedStore({ ...opts, file });
    await again.open();
    expect((await again.list({})).map((r) => r.requestId).sort()).toEqual(rs.slice(6).map((r) => r.requestId).sort());
    await again.close();
  });

  it("evicts the oldest records beyond its byte bound", async () => {
    const body = new Uint8Array(1000);
    const s = new EmbeddedStore({ maxRecords: 1000, maxBytes: 3500 });
    await s.open();
    const rs = Array.from({ length: 5 }, () => record({ responseBody: body }));
    for (const r of rs) await s.put([r]);
    const left = (await s.list({})).map((r) => r.requestId);
    expect(left.length).toBe(3);
    expect(await s.get(rs[0]!.requestId)).toBeUndefined();
    expect(await s.get(rs[4]!.requestId)).toBeDefined();
    await s.close();
  });
});
