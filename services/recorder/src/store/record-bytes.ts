// Records as bytes. A router's StoreBatch is stored as received: each Record's binary is sliced out
// of the batch and only the fields a store indexes are read from it by hand, so the recorder never
// decodes bodies and headers it only has to keep (decoding and its garbage were most of its CPU).
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { RecordSchema, type Record as RecordMsg } from "@fizz/proto";
import { checkRecord, normalizeRecord } from "./store.js";

/** The fields stores index and filter on. */
export interface RecordIndex {
  requestId: string;
  function: string;
  namespace: string;
  trigger: string;
  timestampMs: number;
  status: number;
  retentionSeconds: number;
}

/** A normalized record: its index fields and its complete binary. */
export interface EncodedRecord {
  index: RecordIndex;
  bytes: Uint8Array;
}

// Record field numbers (proto/fizz/v1/recorder.proto).
const F_REQUEST_ID = 1;
const F_FUNCTION = 2;
const F_NAMESPACE = 3;
const F_TRIGGER = 4;
const F_TIMESTAMP = 6;
const F_REQUEST_BODY = 10;
const F_STATUS = 12;
const F_RESPONSE_BODY = 14;
const F_RETENTION = 18;

const utf8 = new TextDecoder();

/**
 * Calls `each(start, end)` for every `records` (field 1) entry of a StoreBatchRequest binary and
 * returns how many there are; -1 (after calling `each` for those before) if it holds anything else.
 */
export function forEachRecord(batch: Uint8Array, each?: (start: number, end: number) => void): number {
  const r = new Reader(batch);
  let n = 0;
  while (r.pos < batch.length) {
    if (r.varint() !== ((1 << 3) | 2)) return -1; // field 1, length-delimited (the only field)
    const len = r.varint();
    if (len < 0 || r.pos + len > batch.length) return -1;
    each?.(r.pos, r.pos + len);
    r.pos += len;
    n++;
  }
  return n;
}

/** Views of each `records` entry of StoreBatchRequest binary; undefined if it holds anything else. */
export function recordSlices(batch: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  return forEachRecord(batch, (s, e) => out.push(batch.subarray(s, e))) < 0 ? undefined : out;
}

/** A StoreBatchRequest binary holding `records` (field 1 entries), as a store keeps a batch. */
export function batchOf(records: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const b of records) size += framedSize(b.length);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const b of records) {
    out[at++] = (1 << 3) | 2;
    at = putVarint(out, at, b.length);
    out.set(b, at);
    at += b.length;
  }
  return out;
}

const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/** Bytes a record of `len` bytes takes in a batch: tag, length prefix and the record. */
export const framedSize = (len: number) => 1 + varintSize(len) + len;

function putVarint(b: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    b[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[at++] = n;
  return at;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  /** A varint as a number (exact up to 2^53); -1 when truncated or too long. */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= buf.length) return -1;
    // Tags and most lengths are one byte: that case is kept short (scanning is the store's hot path).
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let n = b & 0x7f;
    let scale = 128;
    for (let i = 1; i < 10; i++) {
      if (pos >= buf.length) break;
      b = buf[pos++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return n;
      }
      scale *= 128;
    }
    this.pos = pos;
    return -1;
  }
}

/** Where a body field sits in a Record binary: its tag starts at `start`, its bytes at `data`. */
export interface BodyRange {
  field: number;
  start: number;
  data: number;
  end: number;
}

// The function, namespace and trigger of a batch's records are mostly the same few names: the last
// string decoded for each is reused when the bytes match, so stored records share one copy
// (fewer objects surviving into the old generation, which is where the recorder's GC time went).
const lastNames = Array.from({ length: 3 }, () => ({ bytes: new Uint8Array(0), text: "" }));

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/** UTF-8 text of bytes[start, end), without a view object when the bytes are a Buffer. */
function text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(bytes) ? bytes.toString("utf8", start, end) : utf8.decode(bytes.subarray(start, end));
}

/** Slot 0: function, 1: namespace, 2: trigger. */
function name(slot: number, bytes: Uint8Array, start: number, end: number): string {
  const last = lastNames[slot]!;
  if (sameBytes(last.bytes, bytes, start, end)) return last.text;
  last.bytes = bytes.slice(start, end);
  last.text = text(bytes, start, end);
  return last.text;
}

const NO_BODIES: BodyRange[] = [];

/**
 * Where a Record binary's index fields sit, filled in place by `scanFields` (one reused object, so
 * a store indexing a whole batch allocates nothing per record but the request id string).
 */
export class RecordFields {
  idStart = 0;
  idEnd = 0;
  /** [start, end) of function, namespace, trigger; start = end = 0 when absent. */
  readonly names = new Int32Array(6);
  timestampMs = 0;
  status = 0;
  retentionSeconds = 0;
}

/**
 * Reads the index fields of the Record binary bytes[start, end) into `out`; false when it is
 * malformed. Body ranges are pushed to `bodies` when given (storing needs the index alone).
 */
export function scanFields(bytes: Uint8Array, start: number, end: number, out: RecordFields, bodies?: BodyRange[]): boolean {
  out.idStart = out.idEnd = out.timestampMs = out.status = out.retentionSeconds = 0;
  out.names.fill(0);
  const r = new Reader(bytes);
  r.pos = start;
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.varint();
    if (tag <= 0) return false;
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0: {
        const v = r.varint();
        if (v < 0) return false;
        // int32/int64 fields: negative values arrive as 10-byte two's complement; treat as unset.
        const value = v > Number.MAX_SAFE_INTEGER ? 0 : v;
        if (field === F_TIMESTAMP) out.timestampMs = value;
        else if (field === F_STATUS) out.status = value;
        else if (field === F_RETENTION) out.retentionSeconds = value;
        break;
      }
      case 1:
        r.pos += 8;
        break;
      case 5:
        r.pos += 4;
        break;
      case 2: {
        const len = r.varint();
        if (len < 0 || r.pos + len > end) return false;
        const s = r.pos;
        r.pos += len;
        if (field === F_REQUEST_ID) (out.idStart = s), (out.idEnd = r.pos);
        else if (field >= F_FUNCTION && field <= F_TRIGGER) (out.names[(field - F_FUNCTION) * 2] = s), (out.names[(field - F_FUNCTION) * 2 + 1] = r.pos);
        else if (bodies && (field === F_REQUEST_BODY || field === F_RESPONSE_BODY)) bodies.push({ field, start: at, data: s, end: r.pos });
        break;
      }
      default:
        return false;
    }
    if (r.pos > end) return false;
  }
  return true;
}

/** Slot 0: function, 1: namespace, 2: trigger of the last scan, as a string. */
export function nameOf(f: RecordFields, bytes: Uint8Array, slot: number): string {
  const s = f.names[slot * 2]!;
  const e = f.names[slot * 2 + 1]!;
  return s === e ? "" : name(slot, bytes, s, e);
}

/** The request id of the last scan. */
export const requestIdOf = (f: RecordFields, bytes: Uint8Array): string => text(bytes, f.idStart, f.idEnd);

const scratch = new RecordFields();

/**
 * The index fields and body ranges of a Record binary; undefined when it is malformed. Body ranges
 * are collected only when `withBodies`.
 */
export function scanRecord(bytes: Uint8Array, withBodies = true): { index: RecordIndex; bodies: BodyRange[] } | undefined {
  const bodies: BodyRange[] = withBodies ? [] : NO_BODIES;
  if (!scanFields(bytes, 0, bytes.length, scratch, withBodies ? bodies : undefined)) return undefined;
  const f = scratch;
  const index: RecordIndex = {
    requestId: requestIdOf(f, bytes),
    function: nameOf(f, bytes, 0),
    namespace: nameOf(f, bytes, 1),
    trigger: nameOf(f, bytes, 2),
    timestampMs: f.timestampMs,
    status: f.status,
    retentionSeconds: f.retentionSeconds,
  };
  return { index, bodies };
}

/** The index of a decoded record (for stores reading records back). */
export function indexOf(r: RecordMsg): RecordIndex {
  return {
    requestId: r.requestId,
    function: r.function,
    namespace: r.namespace,
    trigger: r.trigger,
    timestampMs: Number(r.timestampMs),
    status: r.status,
    retentionSeconds: Number(r.retentionSeconds),
  };
}

/** Normalizes a decoded record and encodes it. */
export function encodeRecord(r: RecordMsg, now = Date.now()): EncodedRecord {
  normalizeRecord(r, now);
  return { index: indexOf(r), bytes: toBinary(RecordSchema, r) };
}

/**
 * A received Record binary, normalized. The bytes are kept as they are unless normalizing fills
 * a field in (a router leaving namespace, time or retention empty), which re-encodes that one.
 */
export function encodedFromBytes(bytes: Uint8Array, now = Date.now()): EncodedRecord {
  const scan = scanRecord(bytes, false);
  if (!scan) return encodeRecord(fromBinary(RecordSchema, bytes), now); // fromBinary says what is wrong
  const { index } = scan;
  if (index.namespace && index.timestampMs > 0 && index.retentionSeconds > 0) {
    checkRecord(index);
    return { index, bytes };
  }
  return encodeRecord(fromBinary(RecordSchema, bytes), now);
}

/** A Record binary split into its bytes without the bodies (for listings) and the two bodies. */
export function splitBodies(bytes: Uint8Array): { meta: Uint8Array; requestBody: Uint8Array; responseBody: Uint8Array } {
  const empty: Uint8Array = new Uint8Array(0);
  const scan = scanRecord(bytes);
  if (!scan || scan.bodies.length === 0) return { meta: bytes, requestBody: empty, responseBody: empty };
  const parts: Uint8Array[] = [];
  let requestBody: Uint8Array = empty;
  let responseBody: Uint8Array = empty;
  let at = 0;
  for (const b of scan.bodies) {
    parts.push(bytes.subarray(at, b.start));
    at = b.end;
    // The last occurrence of a field wins, as in protobuf.
    if (b.field === F_REQUEST_BODY) requestBody = bytes.subarray(b.data, b.end);
    else responseBody = bytes.subarray(b.data, b.end);
  }
  parts.push(bytes.subarray(at));
  return { meta: Buffer.concat(parts), requestBody, responseBody };
}
