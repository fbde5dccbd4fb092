// The hand-written Record reader agrees with protobuf-es, and bad bytes are refused, not stored.
import { describe, expect, it } from "@jest/globals";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { RecordSchema, StoreBatchRequestSchema } from "@fizz/proto";
import { batchOf, encodedFromBytes, forEachRecord, indexOf, scanRecord, splitBodies } from "./record-bytes.js";
import { record } from "./__fixtures__/records.js";

const bin = (r: ReturnType<typeof record>) => toBinary(RecordSchema, r);

describe("record bytes", () => {
  it("reads the index fields as protobuf-es decodes them, whatever else the record holds", () => {
    const r = record({
      trigger: "shop",
      status: 503,
      timestampMs: 1_790_000_000_123n,
      retentionSeconds: 7n * 86400n,
      requestBody: new Uint8Array(300_000).fill(7),
      requestHeaders: { "x-ü": "ß".repeat(200) },
      durationMs: 1.5,
      requestBodyTruncated: true,
      traceId: "abc",
    });
    expect(scanRecord(bin(r))?.index).toEqual(indexOf(r));
  });

  it("reads the names of consecutive records right, from Buffers and plain Uint8Arrays alike", () => {
    // Names equal to the previous record's are reused: different ones must never come back stale.
    const names = [["fa", "ns", "t"], ["fa", "ns", "t"], ["fb", "ns", ""], ["fa", "nš", "t2"], ["fab", "ns", "t"], ["fa", "ns", "t"]];
    for (const wrap of [(b: Uint8Array) => Buffer.from(b), (b: Uint8Array) => new Uint8Array(b)])
      for (const [fn, namespace, trigger] of names) {
        const r = record({ function: fn, namespace, trigger });
        expect(scanRecord(wrap(bin(r)))?.index).toEqual(indexOf(r));
        expect(encodedFromBytes(wrap(bin(r))).index).toEqual(indexOf(r));
      }
  });

  it("splits off the bodies byte for byte", () => {
    const r = record({ requestBody: new TextEncoder().encode("in"), responseBody: new TextEncoder().encode("out") });
    const { meta, requestBody, responseBody } = splitBodies(bin(r));
    expect(fromBinary(RecordSchema, meta)).toEqual(create(RecordSchema, { ...r, requestBody: new Uint8Array(0), responseBody: new Uint8Array(0) }));
    expect(Buffer.from(requestBody).toString()).toBe("in");
    expect(Buffer.from(responseBody).toString()).toBe("out");
  });

  it("keeps received bytes as they are when nothing needs filling in", () => {
    const bytes = bin(record());
    expect(encodedFromBytes(bytes).bytes).toBe(bytes);
  });

  it("fills in namespace, time and retention a router left empty", () => {
    const now = 1_800_000_000_000;
    const e = encodedFromBytes(bin(record({ namespace: "", timestampMs: 0n, retentionSeconds: 0n })), now);
    expect(e.index).toMatchObject({ namespace: "default", timestampMs: now, retentionSeconds: 86400 });
    expect(indexOf(fromBinary(RecordSchema, e.bytes))).toEqual(e.index);
  });

  it("refuses records without an id or function, with bad ids, and malformed bytes", () => {
    expect(() => encodedFromBytes(bin(record({ requestId: "" })))).toThrow("record has no request_id");
    expect(() => encodedFromBytes(bin(record({ function: "" })))).toThrow("has no function");
    expect(() => encodedFromBytes(bin(record({ requestId: "a b" })))).toThrow('record request_id "a b" is not valid');
    const truncated = bin(record()).subarray(0, 20);
    expect(scanRecord(truncated)).toBeUndefined();
    expect(() => encodedFromBytes(truncated)).toThrow();
  });

  it("builds batches protobuf-es reads, and walks them record by record", () => {
    // Sizes on both sides of one- and two-byte length prefixes.
    const rs = [record(), record({ requestBody: new Uint8Array(200).fill(1) }), record({ responseBody: new Uint8Array(20_000) })];
    const batch = batchOf(rs.map(bin));
    expect(fromBinary(StoreBatchRequestSchema, batch).records).toEqual(rs);
    const seen: string[] = [];
    expect(forEachRecord(batch, (s, e) => seen.push(fromBinary(RecordSchema, batch.subarray(s, e)).requestId))).toBe(3);
    expect(seen).toEqual(rs.map((r) => r.requestId));
    expect(forEachRecord(batch.subarray(0, batch.length - 1))).toBe(-1);
    expect(forEachRecord(new Uint8Array([0x12, 0]))).toBe(-1);
    expect(forEachRecord(new Uint8Array(0))).toBe(0);
  });
});
