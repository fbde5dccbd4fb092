import { describe, expect, it } from "@jest/globals";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StoreBatchRequestSchema } from "@fizz/proto";
import { BatchWriter, encodeStoreBatch } from "./encode.js";
import type { PendingRecord } from "./recording.js";

const full: PendingRecord = {
  requestId: "req-1",
  function: "fn",
  namespace: "ns",
  trigger: "trig",
  recorder: "rec",
  timestampMs: 1_732_480_000_123,
  method: "POST",
  url: "/a?b=ü€😀",
  requestHeaders: { "content-type": "application/json", "x-ünï": "välue😀", empty: "", authorization: "[redacted]" },
  requestBody: new Uint8Array(300).map((_, i) => i % 256),
  requestBodyTruncated: true,
  status: 503,
  responseHeaders: { "set-cookie": "a=1, b=2" },
  responseBody: Buffer.from("hello"),
  responseBodyTruncated: true,
  durationMs: 12.345678,
  traceId: "0af7651916cd43dd8448eb211c80319c",
  retentionSeconds: 86_400 * 400,
};

const empty: PendingRecord = {
  requestId: "",
  function: "",
  namespace: "",
  trigger: "",
  recorder: "",
  timestampMs: 0,
  method: "",
  url: "",
  requestHeaders: {},
  requestBody: new Uint8Array(0),
  requestBodyTruncated: false,
  status: 0,
  responseHeaders: {},
  responseBody: new Uint8Array(0),
  responseBodyTruncated: false,
  durationMs: 0,
  traceId: "",
  retentionSeconds: 0,
};

/** What the shipper used to send: protobuf-es messages. */
const viaProtobufEs = (rs: PendingRecord[]) =>
  create(StoreBatchRequestSchema, {
    records: rs.map((r) => ({ ...r, timestampMs: BigInt(r.timestampMs), retentionSeconds: BigInt(r.retentionSeconds) })),
  });

describe("encodeStoreBatch", () => {
  const cases: [string, PendingRecord[]][] = [
    ["no records", []],
    ["every field set", [full]],
    ["every field at its default", [empty]],
    ["a mix, large values", [full, empty, { ...full, requestId: "r2", status: -1, timestampMs: -5, durationMs: -0.5, url: "x".repeat(20_000), responseBody: new Uint8Array(70_000).fill(7) }]],
    // Lengths are patched in after the content: entries and records longer than their reserved
    // length bytes (headers 200 and 20 000 bytes long with no body), and a multi-byte one.
    ["headers longer than their reserved length bytes", [{ ...empty, requestHeaders: { "x-a": "a".repeat(200), "x-b": "b".repeat(20_000), "x-ü": "é".repeat(70) } }, full]],
  ];
  it.each(cases)("decodes with protobuf-es to the same records: %s", (_, rs) => {
    const expected = viaProtobufEs(rs);
    expect(fromBinary(StoreBatchRequestSchema, encodeStoreBatch(rs))).toEqual(expected);
    expect(fromBinary(StoreBatchRequestSchema, encodeStoreBatch(rs))).toEqual(fromBinary(StoreBatchRequestSchema, toBinary(StoreBatchRequestSchema, expected)));
  });

  it("writes the same bytes as protobuf-es for plain ASCII records", () => {
    const r = { ...full, requestHeaders: { a: "1" }, responseHeaders: {}, url: "/x" };
    expect(Buffer.from(encodeStoreBatch([r]))).toEqual(Buffer.from(toBinary(StoreBatchRequestSchema, viaProtobufEs([r]))));
    const long = { ...r, requestHeaders: { a: "1".repeat(300) }, responseHeaders: { b: "2".repeat(20_000) } };
    expect(Buffer.from(encodeStoreBatch([long, empty]))).toEqual(Buffer.from(toBinary(StoreBatchRequestSchema, viaProtobufEs([long, empty]))));
  });

  it("records headers as node gives them: repeats joined, redacted names replaced, undefined skipped", () => {
    const r: PendingRecord = {
      ...full,
      requestHeaders: { accept: ["a/b", "c/d"], authorization: "Bearer secret", cookie: ["x=1", "y=2"], skipped: undefined },
      responseHeaders: { "set-cookie": ["s=1", "t=2"], "content-type": "text/plain" },
      redact: new Set(["authorization", "cookie", "set-cookie"]),
    };
    const [got] = fromBinary(StoreBatchRequestSchema, encodeStoreBatch([r])).records;
    expect(got!.requestHeaders).toEqual({ accept: "a/b, c/d", authorization: "[redacted]", cookie: "[redacted]" });
    expect(got!.responseHeaders).toEqual({ "set-cookie": "[redacted]", "content-type": "text/plain" });
  });

  it("appends records into one growing buffer and starts over after take()", () => {
    const w = new BatchWriter(16); // far smaller than one record: every add grows it
    const rs = [full, empty, { ...full, requestId: "r3", url: "/ascii-then-ü", requestHeaders: { "x-long": "y".repeat(100) } }];
    for (const r of rs) w.add(r);
    expect(w.count).toBe(3);
    const first = w.take();
    expect(fromBinary(StoreBatchRequestSchema, first)).toEqual(viaProtobufEs(rs));
    expect([w.count, w.bytes]).toEqual([0, 0]);
    w.add(empty);
    w.add(full);
    expect(fromBinary(StoreBatchRequestSchema, w.take())).toEqual(viaProtobufEs([empty, full]));
    // The next batch has a buffer of its own: the one handed over (maybe still being sent) is untouched.
    expect(fromBinary(StoreBatchRequestSchema, first)).toEqual(viaProtobufEs(rs));
  });

  it("writes repeated header entries from its cache as the same bytes, through changes, redaction, growth and detached batches", () => {
    const w = new BatchWriter(16); // small: entries are also cached while the buffer overflows and grows
    const shared = new Set(["authorization"]);
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-h${i}`, `v${i}`])); // past the cache's bound
    const hdr = (i: number): PendingRecord => ({
      ...full,
      requestId: `r${i}`,
      requestHeaders: { host: "h:1", date: `d${i}`, "x-flip": i % 3 === 0 ? "a" : "b", authorization: "secret", ...(i > 5 ? many : {}) },
      responseHeaders: { "content-type": i < 4 ? "text/plain" : "application/json; charset=utf-8", "x-long": "z".repeat(i === 7 ? 300 : 3) },
      // Same value, redacted or not: by a recorder's set (kept) or a set of its own.
      redact: i % 4 !== 0 ? undefined : i % 8 === 0 ? shared : new Set(["authorization"]),
    });
    const rs = Array.from({ length: 12 }, (_, i) => hdr(i));
    for (const r of rs.slice(0, 6)) w.add(r);
    const first = w.take();
    first.fill(0); // the batch is the sink's now (its buffer is moved to the shipping thread)
    for (const r of rs.slice(6)) w.add(r);
    const redacted = (r: PendingRecord) => (r.redact ? { ...r, requestHeaders: { ...r.requestHeaders, authorization: "[redacted]" } } : r);
    expect(fromBinary(StoreBatchRequestSchema, w.take())).toEqual(viaProtobufEs(rs.slice(6).map(redacted)));
    // A warm writer (entries cached) writes the bytes a fresh one (nothing cached) does.
    const warm = new BatchWriter();
    for (const r of rs) warm.add(r);
    warm.take();
    warm.add(hdr(10));
    warm.add(hdr(11));
    expect(Buffer.from(warm.take())).toEqual(Buffer.from(encodeStoreBatch([hdr(10), hdr(11)])));
  });

  it("leaves out a record past the byte limit it is given, and keeps what was added before", () => {
    const w = new BatchWriter(64);
    const took = w.add(full);
    expect(took).toBe(encodeStoreBatch([full]).length);
    expect(w.add(full, took - 1)).toBe(-1);
    expect([w.count, w.bytes]).toEqual([1, took]);
    expect(w.add(empty, 0)).toBe(-1);
    expect(w.add(full, took)).toBe(took);
    expect(fromBinary(StoreBatchRequestSchema, w.take())).toEqual(viaProtobufEs([full, full]));
  });
});
