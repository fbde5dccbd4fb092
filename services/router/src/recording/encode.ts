// Hand-written protobuf encoding of a StoreBatchRequest (fizz.v1.Record, see proto/fizz/v1/recorder.proto).
// Why: protobuf-es's reflective create()+toBinary() was ~16% of the router's busy time at 100% sampling.
// Each record is sized once and written straight into the open batch's buffer when its response
// finishes, so nothing per record outlives the request (records held until shipping were promoted
// to the old generation and cost more in GC than the encoding itself). Headers are read from the
// request/response objects as they are, redacted while written: no per-record maps.
// Like protobuf-es, fields holding their proto3 default are left out. Keep the field numbers in sync with
// the proto; encode.test.ts checks the bytes decode with protobuf-es to the same records.
import type { PendingRecord, RecordHeaders } from "./recording.js";
import { REDACTED } from "./recording.js";

const LEN = 2;
const EMPTY = Buffer.alloc(0);
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

// Short ASCII strings (most header names and values, ids, paths) are measured and copied in JS:
// Buffer.byteLength and buf.write cost more in call overhead than the copy itself.
const SHORT = 64;

function utf8Length(s: string): number {
  if (s.length > SHORT) return Buffer.byteLength(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return s.length;
}

function writeUtf8(buf: Buffer, off: number, s: string): number {
  const n = s.length;
  if (n > SHORT) return off + buf.write(s, off);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return off + buf.write(s, off); // rewrites from the start, as UTF-8
    buf[off + i] = c;
  }
  return off + n;
}

function strSize(field: number, s: string): number {
  return s.length === 0 ? 0 : lenField(field, utf8Length(s));
}

/** A header's recorded value: repeats joined with ", ", redacted names replaced; undefined skips it. */
function headerValue(v: string | string[] | undefined, k: string, redact: ReadonlySet<string> | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (redact !== undefined && redact.has(k)) return REDACTED;
  return typeof v === "string" ? v : v.join(", ");
}

function mapSize(field: number, m: RecordHeaders, redact: ReadonlySet<string> | undefined): number {
  let n = 0;
  for (const k in m) {
    const v = headerValue(m[k], k, redact);
    if (v !== undefined) n += lenField(field, entrySize(k, v));
  }
  return n;
}

function entrySize(k: string, v: string): number {
  return strSize(1, k) + strSize(2, v);
}

/** Bytes of one Record's content (without its tag and length in the batch). */
export function recordSize(r: PendingRecord): number {
  return (
    strSize(1, r.requestId) +
    strSize(2, r.function) +
    strSize(3, r.namespace) +
    strSize(4, r.trigger) +
    strSize(5, r.recorder) +
    (Math.trunc(r.timestampMs) === 0 ? 0 : 1 + varintSize(Math.trunc(r.timestampMs))) +
    strSize(7, r.method) +
    strSize(8, r.url) +
    mapSize(9, r.requestHeaders, r.redact) +
    (r.requestBody.length === 0 ? 0 : lenField(10, r.requestBody.length)) +
    (r.requestBodyTruncated ? 2 : 0) +
    ((r.status | 0) === 0 ? 0 : 1 + varintSize(r.status | 0)) +
    mapSize(13, r.responseHeaders, r.redact) +
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
  off = writeVarint(buf, off, utf8Length(s));
  return writeUtf8(buf, off, s);
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

function writeMap(buf: Buffer, off: number, field: number, m: RecordHeaders, redact: ReadonlySet<string> | undefined): number {
  for (const k in m) {
    const v = headerValue(m[k], k, redact);
    if (v === undefined) continue;
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
  off = writeMap(buf, off, 9, r.requestHeaders, r.redact);
  off = writeBytes(buf, off, 10, r.requestBody);
  off = writeBool(buf, off, 11, r.requestBodyTruncated);
  off = writeInt(buf, off, 12, r.status | 0);
  off = writeMap(buf, off, 13, r.responseHeaders, r.redact);
  off = writeBytes(buf, off, 14, r.responseBody);
  off = writeBool(buf, off, 15, r.responseBodyTruncated);
  if (r.durationMs !== 0) {
    off = writeTag(buf, off, 16, I64);
    off = buf.writeDoubleLE(r.durationMs, off);
  }
  off = writeStr(buf, off, 17, r.traceId);
  return writeInt(buf, off, 18, Math.trunc(r.retentionSeconds));
}

/** Bytes a record of content size `size` takes in a StoreBatchRequest (field 1, length-delimited). */
export const entryBytes = (size: number) => lenField(1, size);

/**
 * A StoreBatchRequest being built: records are appended as they finish into one growing buffer,
 * which take() hands over as the batch's bytes, ready to send as they are.
 */
export class BatchWriter {
  private buf = EMPTY;
  private off = 0;
  /** Where the next batch's buffer starts: the last batch's size, so steady batches never regrow. */
  private startBytes: number;
  count = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.startBytes = initialBytes;
  }

  get bytes(): number {
    return this.off;
  }

  /** Appends `r`; `size` is recordSize(r) when the caller already has it. */
  add(r: PendingRecord, size = recordSize(r)): void {
    const need = this.off + entryBytes(size);
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, this.startBytes));
      this.buf.copy(grown, 0, 0, this.off);
      this.buf = grown;
    }
    let off = writeTag(this.buf, this.off, 1, LEN);
    off = writeVarint(this.buf, off, size);
    const end = writeRecord(this.buf, off, r);
    if (end !== off + size) throw new Error(`encodeStoreBatch: wrote ${end - off} bytes of a record, sized ${size}`);
    this.off = end;
    this.count++;
  }

  /** The batch so far; the next record starts a new buffer (allocated then, so idle holds none). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.off);
    this.startBytes = Math.max(this.initialBytes, this.off);
    this.buf = EMPTY;
    this.off = 0;
    this.count = 0;
    return out;
  }
}

/** StoreBatchRequest{records} as protobuf binary: field 1, one length-delimited Record each. */
export function encodeStoreBatch(records: readonly PendingRecord[]): Buffer {
  const w = new BatchWriter(0);
  for (const r of records) w.add(r);
  return w.take();
}
