// Hand-written protobuf encoding of a StoreBatchRequest (fizz.v1.Record, see proto/fizz/v1/recorder.proto).
// Why: protobuf-es's reflective create()+toBinary() was ~16% of the router's busy time at 100% sampling;
// this sizes each record once and writes the whole batch into one Buffer, with no intermediate messages.
// Like protobuf-es, fields holding their proto3 default are left out. Keep the field numbers in sync with
// the proto; encode.test.ts checks the bytes decode with protobuf-es to the same records.
import type { PendingRecord } from "./recording.js";

const LEN = 2;
const I64 = 1;

const tag = (field: number, wire: number) => (field << 3) | wire;

function varintSize(v: number): number {
  if (v < 0) return 10; // negative int32/int64: sign-extended to 64 bits
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, off: number, v: number): number {
  if (v < 0) {
    let b = BigInt.asUintN(64, BigInt(v));
    while (b >= 128n) {
      buf[off++] = Number(b & 127n) | 128;
      b >>= 7n;
    }
    buf[off++] = Number(b);
    return off;
  }
  while (v >= 128) {
    buf[off++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[off++] = v;
  return off;
}

/** Bytes of a length-delimited field whose content is `n` bytes (tags of fields 16+ take two bytes). */
const lenField = (field: number, n: number) => (field >= 16 ? 2 : 1) + varintSize(n) + n;

function strSize(field: number, s: string): number {
  return s.length === 0 ? 0 : lenField(field, Buffer.byteLength(s));
}

function mapSize(field: number, m: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const k in m) n += lenField(field, entrySize(k, m[k]!));
  return n;
}

function entrySize(k: string, v: string): number {
  return strSize(1, k) + strSize(2, v);
}

function recordSize(r: PendingRecord): number {
  return (
    strSize(1, r.requestId) +
    strSize(2, r.function) +
    strSize(3, r.namespace) +
    strSize(4, r.trigger) +
    strSize(5, r.recorder) +
    (Math.trunc(r.timestampMs) === 0 ? 0 : 1 + varintSize(Math.trunc(r.timestampMs))) +
    strSize(7, r.method) +
    strSize(8, r.url) +
    mapSize(9, r.requestHeaders) +
    (r.requestBody.length === 0 ? 0 : lenField(10, r.requestBody.length)) +
    (r.requestBodyTruncated ? 2 : 0) +
    ((r.status | 0) === 0 ? 0 : 1 + varintSize(r.status | 0)) +
    mapSize(13, r.responseHeaders) +
    (r.responseBody.length === 0 ? 0 : lenField(14, r.responseBody.length)) +
    (r.responseBodyTruncated ? 2 : 0) +
    (r.durationMs === 0 ? 0 : 2 + 8) +
    strSize(17, r.traceId) +
    (Math.trunc(r.retentionSeconds) === 0 ? 0 : 2 + varintSize(Math.trunc(r.retentionSeconds)))
  );
}

function writeTag(buf: Buffer, off: number, field: number, wire: number): number {
  return writeVarint(buf, off, tag(field, wire));
}

function writeStr(buf: Buffer, off: number, field: number, s: string): number {
  if (s.length === 0) return off;
  off = writeTag(buf, off, field, LEN);
  off = writeVarint(buf, off, Buffer.byteLength(s));
  return off + buf.write(s, off);
}

function writeBytes(buf: Buffer, off: number, field: number, b: Uint8Array): number {
  if (b.length === 0) return off;
  off = writeTag(buf, off, field, LEN);
  off = writeVarint(buf, off, b.length);
  buf.set(b, off);
  return off + b.length;
}

function writeInt(buf: Buffer, off: number, field: number, v: number): number {
  if (v === 0) return off;
  return writeVarint(buf, writeTag(buf, off, field, 0), v);
}

function writeBool(buf: Buffer, off: number, field: number, v: boolean): number {
  if (!v) return off;
  off = writeTag(buf, off, field, 0);
  buf[off] = 1;
  return off + 1;
}

function writeMap(buf: Buffer, off: number, field: number, m: Readonly<Record<string, string>>): number {
  for (const k in m) {
    const v = m[k]!;
    off = writeTag(buf, off, field, LEN);
    off = writeVarint(buf, off, entrySize(k, v));
    off = writeStr(buf, off, 1, k);
    off = writeStr(buf, off, 2, v);
  }
  return off;
}

function writeRecord(buf: Buffer, off: number, r: PendingRecord): number {
  off = writeStr(buf, off, 1, r.requestId);
  off = writeStr(buf, off, 2, r.function);
  off = writeStr(buf, off, 3, r.namespace);
  off = writeStr(buf, off, 4, r.trigger);
  off = writeStr(buf, off, 5, r.recorder);
  off = writeInt(buf, off, 6, Math.trunc(r.timestampMs));
  off = writeStr(buf, off, 7, r.method);
  off = writeStr(buf, off, 8, r.url);
  off = writeMap(buf, off, 9, r.requestHeaders);
  off = writeBytes(buf, off, 10, r.requestBody);
  off = writeBool(buf, off, 11, r.requestBodyTruncated);
  off = writeInt(buf, off, 12, r.status | 0);
  off = writeMap(buf, off, 13, r.responseHeaders);
  off = writeBytes(buf, off, 14, r.responseBody);
  off = writeBool(buf, off, 15, r.responseBodyTruncated);
  if (r.durationMs !== 0) {
    off = writeTag(buf, off, 16, I64);
    off = buf.writeDoubleLE(r.durationMs, off);
  }
  off = writeStr(buf, off, 17, r.traceId);
  return writeInt(buf, off, 18, Math.trunc(r.retentionSeconds));
}

/** StoreBatchRequest{records} as protobuf binary: field 1, one length-delimited Record each. */
export function encodeStoreBatch(records: readonly PendingRecord[]): Buffer {
  const sizes = new Array<number>(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const s = recordSize(records[i]!);
    sizes[i] = s;
    total += lenField(1, s);
  }
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < records.length; i++) {
    off = writeTag(buf, off, 1, LEN);
    off = writeVarint(buf, off, sizes[i]!);
    off = writeRecord(buf, off, records[i]!);
  }
  if (off !== total) throw new Error(`encodeStoreBatch: wrote ${off} bytes, sized ${total}`);
  return buf;
}
