import { describe, expect, it } from "@jest/globals";
import { RecordTable, type Unit } from "./record-table.js";

// A unit whose bytes are just request ids back to back (the table reads ids from unit bytes).
function unitOf(ids: string[]): { u: Unit; at: number[] } {
  const at: number[] = [];
  let size = 0;
  for (const id of ids) (at.push(size), (size += Buffer.byteLength(id)));
  const bytes = Buffer.concat(ids.map((id) => Buffer.from(id)));
  return { u: { bytes, receivedAt: 0, logAt: -1, first: 0, end: 0, n: ids.length, live: 0, minExp: Infinity }, at };
}

describe("RecordTable id index", () => {
  it("finds, replaces and forgets ids like a Map through adds, clears, repacks and rehashes", () => {
    const t = new RecordTable();
    const model = new Set<string>();
    /** The table agrees with the model on an id: found (as itself) exactly when live. */
    const check = (id: string) => {
      const row = t.findId(id);
      expect(row >= 0 ? t.idOf(row) : undefined).toBe(model.has(id) ? id : undefined);
      return row;
    };
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    for (let round = 0; round < 60; round++) {
      // A batch of ids, some repeated from earlier rounds (replaced) or within the batch.
      const ids = Array.from({ length: 50 + rand(200) }, () => `id-${rand(3000)}`);
      const { u, at } = unitOf(ids);
      t.reserve(ids.length);
      u.first = t.tail;
      ids.forEach((id, k) => {
        const old = check(id);
        if (old >= 0) t.clear(old);
        t.add(u, at[k]!, at[k]! + Buffer.byteLength(id), at[k]!, 1);
        model.add(id);
      });
      u.end = t.tail;
      // Forget some, oldest first and at random, as eviction and deletes do.
      for (let k = rand(150); k > 0; k--) {
        const row = t.oldest();
        if (row < 0) break;
        model.delete(t.idOf(row));
        t.clear(row);
      }
      for (const id of [...model].filter(() => rand(10) === 0)) {
        t.clear(check(id));
        model.delete(id);
      }
      expect(t.size).toBe(model.size);
    }
    for (let i = 0; i < 3000; i++) check(`id-${i}`);
    expect(t.findId("id-never")).toBe(-1);
  });
});
