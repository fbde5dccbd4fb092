// Hand-written protobuf encoding of a StoreBatchRequest (fizz.v1.Record, see proto/fizz/v1/recorder.proto).
// Why: protobuf-es's reflective create()+toBinary() was ~16% of the router's busy time at 100% sampling.
// Each record is written straight into the open batch's buffer when its response finishes, so
// nothing per record outlives the request (records held until shipping were promoted to the old
// generation and cost more in GC than the encoding itself). Headers are read from the
// request/response objects as they are, redacted while written: no per-record maps.
// One pass: lengths are not measured ahead but patched in after the content is written (a
// sizing pass walked every header twice more; bench/record-path). Writes past the buffer's end
// are dropped, and the record is written again into a larger buffer.
// Like protobuf-es, fields holding their proto3 default are left out, and varints are minimal.
// Keep the field numbers in sync with the proto; encode.test.ts checks the bytes decode with
// protobuf-es to the same records (and are the same bytes for ASCII records).
import type { PendingRecord, RecordHeaders } from "./recording.js";
import { REDACTED } from "./recording.js";

const LEN = 2;
const EMPTY = Buffer.alloc(0);
const I64 = 1;

function varintSize(v: number): number {
  if (v < 0) return 10; // negative int32/int64: sign-extended to 64 bits
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

// Index stores past a Buffer's end are no-ops: callers detect the overflow from the offset.
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
  // Above 2^31 (timestamps) with float arithmetic, then with int32 shifts.
  while (v > 0x7fffffff) {
    buf[off++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  while (v >= 128) {
    buf[off++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[off++] = v;
  return off;
}

const writeTag = (buf: Buffer, off: number, field: number, wire: number) => writeVarint(buf, off, (field << 3) | wire);

/**
 * A string field. Short ASCII strings (most header names and values, ids, paths) are copied in
 * JS in the same loop that checks them, behind a one-byte length: Buffer.byteLength and
 * buf.write cost more in call overhead than the copy itself.
 */
function writeStr(buf: Buffer, off: number, field: number, s: string): number {
  const n = s.length;
  if (n === 0) return off;
  if (n < 128) {
    const at = writeTag(buf, off, field, LEN);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return writeLongStr(buf, off, field, s);
      buf[at + 1 + i] = c;
    }
    buf[at] = n;
    return at + 1 + n;
  }
  return writeLongStr(buf, off, field, s);
}

function writeLongStr(buf: Buffer, off: number, field: number, s: string): number {
  const len = Buffer.byteLength(s);
  off = writeVarint(buf, writeTag(buf, off, field, LEN), len);
  if (off + len <= buf.length) buf.write(s, off);
  return off + len;
}

/**
 * Content written at `start` up to `end` gets its length in front of it: one byte is reserved
 * there; longer content moves up to make room for its length's varint.
 */
function patchLength(buf: Buffer, lenAt: number, end: number): number {
  const size = end - lenAt - 1;
  if (size < 128) {
    buf[lenAt] = size;
    return end;
  }
  const extra = varintSize(size) - 1;
  if (end + extra <= buf.length) buf.copyWithin(lenAt + 1 + extra, lenAt + 1, end);
  writeVarint(buf, lenAt, size);
  return end + extra;
}

function writeBytes(buf: Buffer, off: number, field: number, b: Uint8Array): number {
  if (b.length === 0) return off;
  off = writeVarint(buf, writeTag(buf, off, field, LEN), b.length);
  if (off + b.length <= buf.length) buf.set(b, off);
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

/** Header names whose entries an EntryCache keeps, at most (request header names are the client's). */
const MAX_CACHED_NAMES = 64;

interface CachedEntry {
  /** The header's value as given, and the redaction set it was written with. */
  raw: string | string[];
  redact: ReadonlySet<string> | undefined;
  /** The whole map entry (tag, length, name, value) once `raw` came twice in a row. */
  bytes: Uint8Array | undefined;
}

/**
 * Encoded header entries of one map field, by header name. Most headers repeat from one request to the
 * next (content-type, connection, user-agent, host), and copying an entry's bytes costs less than
 * encoding its two strings (writeMap was the largest part of the router's recording work). A value
 * is kept once it came twice in a row with the same redaction set (a recorder's), so a header that
 * changes every request (date, ids) costs a comparison and allocates nothing.
 */
type EntryCache = Map<string, CachedEntry>;

/** Headers one entry per name: repeats joined with ", ", redacted names replaced, undefined skipped. */
function writeMap(buf: Buffer, off: number, field: number, m: RecordHeaders, redact: ReadonlySet<string> | undefined, cache: EntryCache): number {
  for (const k in m) {
    const v = m[k];
    if (v === undefined) continue;
    const e = cache.get(k);
    const same = e !== undefined && e.raw === v && e.redact === redact;
    if (same && e.bytes !== undefined) {
      const b = e.bytes;
      if (off + b.length <= buf.length) buf.set(b, off);
      off += b.length;
      continue;
    }
    const value = redact !== undefined && redact.has(k) ? REDACTED : typeof v === "string" ? v : v.join(", ");
    const start = off;
    const lenAt = writeTag(buf, off, field, LEN);
    off = patchLength(buf, lenAt, writeStr(buf, writeStr(buf, lenAt + 1, 1, k), 2, value));
    if (e === undefined) {
      if (cache.size < MAX_CACHED_NAMES) cache.set(k, { raw: v, redact, bytes: undefined });
    } else if (!same) {
      e.raw = v;
      e.redact = redact;
      e.bytes = undefined;
    } else if (off <= buf.length) {
      // A copy: the batch's buffer is handed over (and detached) when it ships.
      e.bytes = new Uint8Array(buf.subarray(start, off));
    }
  }
  return off;
}

function writeRecord(buf: Buffer, off: number, r: PendingRecord, requestCache: EntryCache, responseCache: EntryCache): number {
  off = writeStr(buf, off, 1, r.requestId);
  off = writeStr(buf, off, 2, r.function);
  off = writeStr(buf, off, 3, r.namespace);
  off = writeStr(buf, off, 4, r.trigger);
  off = writeStr(buf, off, 5, r.recorder);
  off = writeInt(buf, off, 6, Math.trunc(r.timestampMs));
  off = writeStr(buf, off, 7, r.method);
  off = writeStr(buf, off, 8, r.url);
  off = writeMap(buf, off, 9, r.requestHeaders, r.redact, requestCache);
  off = writeBytes(buf, off, 10, r.requestBody);
  off = writeBool(buf, off, 11, r.requestBodyTruncated);
  off = writeInt(buf, off, 12, r.status | 0);
  off = writeMap(buf, off, 13, r.responseHeaders, r.redact, responseCache);
  off = writeBytes(buf, off, 14, r.responseBody);
  off = writeBool(buf, off, 15, r.responseBodyTruncated);
  if (r.durationMs !== 0) {
    off = writeTag(buf, off, 16, I64);
    if (off + 8 <= buf.length) buf.writeDoubleLE(r.durationMs, off);
    off += 8;
  }
  off = writeStr(buf, off, 17, r.traceId);
  return writeInt(buf, off, 18, Math.trunc(r.retentionSeconds));
}

/**
 * A StoreBatchRequest being built: records are appended as they finish into one growing buffer,
 * which take() hands over as the batch's bytes, ready to send as they are.
 */
export class BatchWriter {
  private buf = EMPTY;
  private off = 0;
  /** Where the next batch's buffer starts: the last batch's size, so steady batches never regrow. */
  private startBytes: number;
  private readonly requestHeaders: EntryCache = new Map();
  private readonly responseHeaders: EntryCache = new Map();
  count = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.startBytes = initialBytes;
  }

  get bytes(): number {
    return this.off;
  }

  /**
   * Appends `r` (field 1 of the batch, length-delimited) unless that takes more than `limit`
   * bytes; returns the bytes it took, or -1 when it was left out.
   */
  add(r: PendingRecord, limit = Infinity): number {
    if (this.buf.length === 0 && this.startBytes > 0) this.buf = Buffer.allocUnsafe(this.startBytes);
    // Room for the length in front; a guess (right unless headers are huge) that saves a move.
    const reserve = varintSize(r.requestBody.length + r.responseBody.length + r.url.length + 1024);
    for (;;) {
      const buf = this.buf;
      const start = this.off + 1 + reserve;
      const end = writeRecord(buf, start, r, this.requestHeaders, this.responseHeaders);
      const size = end - start;
      const lenBytes = varintSize(size);
      const total = end + lenBytes - reserve;
      if (Math.max(end, total) > buf.length) {
        this.grow(Math.max(end, total));
        continue;
      }
      if (total - this.off > limit) return -1;
      if (lenBytes !== reserve) buf.copyWithin(start + lenBytes - reserve, start, end);
      buf[this.off] = (1 << 3) | LEN;
      writeVarint(buf, this.off + 1, size);
      const took = total - this.off;
      this.off = total;
      this.count++;
      return took;
    }
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

  private grow(need: number): void {
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, this.startBytes));
    this.buf.copy(grown, 0, 0, this.off);
    this.buf = grown;
  }
}

/** StoreBatchRequest{records} as protobuf binary: field 1, one length-delimited Record each. */
export function encodeStoreBatch(records: readonly PendingRecord[]): Buffer {
  const w = new BatchWriter(0);
  for (const r of records) w.add(r);
  return w.take();
}
