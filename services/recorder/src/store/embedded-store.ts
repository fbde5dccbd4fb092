// The store `fizz up` uses when no Redis is configured: records in memory with TTL expiry and
// size bounds (oldest evicted first), persisted to an append-only log so they survive a restart.
//
// Log format ($STATE/recorder/records.log): entries of [u32 BE length][u8 kind][payload], where
// the length covers kind + payload. Kind 1: a put, payload = [f64 BE expires-at ms][Record binary].
// Kind 2: a delete, payload = the request id (UTF-8). A torn or unreadable tail is cut off at start.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { RecordSchema, type Record as RecordMsg } from "@fizz/proto";
import { silentLogger, type Logger } from "@fizz/common";
import { scanRecord, splitBodies, type EncodedRecord, type RecordIndex } from "./record-bytes.js";
import { resolveFilter, retentionSecondsOf, type ListFilter, type RecordStore } from "./store.js";

const PUT = 1;
const DEL = 2;
/** Compaction is not worth it below this many log bytes. */
const MIN_COMPACT_BYTES = 1024 * 1024;

export interface EmbeddedStoreOptions {
  /** Log file; undefined keeps records in memory only. */
  file?: string;
  maxRecords: number;
  maxBytes: number;
  /** Log bytes below which compaction never runs (tests lower it). */
  minCompactBytes?: number;
  now?: () => number;
}

// Records are held as their binary plus the index fields, and decoded only when read.
interface Entry {
  index: RecordIndex;
  bytes: Uint8Array;
  expiresAt: number;
  /** Bytes of its put entry in the log (and roughly in memory). */
  size: number;
  /** Offset of that put entry in the log (when there is one), so compaction copies it as is. */
  at: number;
}

function frame(kind: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt32BE(1 + payload.length, 0);
  b[4] = kind;
  b.set(payload, 5);
  return b;
}

/** Delete frames for `ids`, back to back in one buffer (an eviction pass drops a batch's worth). */
function delFrames(ids: readonly string[]): Buffer {
  let size = 0;
  for (const id of ids) size += 5 + Buffer.byteLength(id);
  const b = Buffer.allocUnsafe(size);
  let at = 0;
  for (const id of ids) {
    const n = b.write(id, at + 5);
    b.writeUInt32BE(1 + n, at);
    b[at + 4] = DEL;
    at += 5 + n;
  }
  return b;
}

function putFrame(body: Uint8Array, expiresAt: number): Buffer {
  // One allocation for the whole frame: [u32 len][kind][f64 expires][record].
  const b = Buffer.allocUnsafe(13 + body.length);
  b.writeUInt32BE(9 + body.length, 0);
  b[4] = PUT;
  b.writeDoubleBE(expiresAt, 5);
  b.set(body, 13);
  return b;
}

/** Whether the log holds a put frame of the entry's size at its offset (a guard before copying it). */
function isPutAt(log: Buffer, e: Entry): boolean {
  return e.size > 5 && e.at + e.size <= log.length && log.readUInt32BE(e.at) === e.size - 4 && log[e.at + 4] === PUT;
}

export class EmbeddedStore implements RecordStore {
  // Insertion order = arrival order, so the first entries are the oldest to evict.
  private readonly records = new Map<string, Entry>();
  private bytes = 0;
  /** No record expires before this (a lower bound: drops only raise the true minimum). */
  private nextExpiry = Infinity;
  private fd?: number;
  private logBytes = 0;
  private liveLogBytes = 0;
  private readonly now: () => number;

  constructor(
    private readonly opts: EmbeddedStoreOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async open(): Promise<void> {
    const file = this.opts.file;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) this.load(file);
    this.fd = openSync(file, "a");
    this.evict([]);
    this.maybeCompact();
  }

  private load(file: string): void {
    const buf = readFileSync(file);
    const now = this.now();
    let off = 0;
    while (off + 5 <= buf.length) {
      const len = buf.readUInt32BE(off);
      if (len < 1 || off + 4 + len > buf.length) break;
      const kind = buf[off + 4];
      const payload = buf.subarray(off + 5, off + 4 + len);
      try {
        if (kind === PUT) {
          const expiresAt = payload.readDoubleBE(0);
          const scan = scanRecord(payload.subarray(8), false);
          if (!scan) break;
          this.drop(scan.index.requestId);
          // A copy, so live records do not keep the whole log file's buffer alive.
          if (expiresAt > now) this.add({ index: scan.index, bytes: Buffer.from(payload.subarray(8)), expiresAt, size: 4 + len, at: off });
        } else if (kind === DEL) this.drop(payload.toString("utf8"));
        else break;
      } catch {
        break;
      }
      off += 4 + len;
    }
    if (off < buf.length) {
      this.log.warn({ file, kept: off, dropped: buf.length - off }, "record log has a torn or unreadable tail; cutting it off");
      truncateSync(file, off);
    }
    this.logBytes = off;
  }

  private add(e: Entry): void {
    if (e.expiresAt < this.nextExpiry) this.nextExpiry = e.expiresAt;
    this.records.set(e.index.requestId, e);
    this.bytes += e.size;
    this.liveLogBytes += e.size;
  }

  /** Forgets a record in memory; true when it was there. */
  private drop(id: string): boolean {
    const e = this.records.get(id);
    if (!e) return false;
    this.records.delete(id);
    this.bytes -= e.size;
    this.liveLogBytes -= e.size;
    return true;
  }

  private append(frames: Buffer[]): void {
    if (this.fd === undefined || frames.length === 0) return;
    const all = Buffer.concat(frames);
    writeSync(this.fd, all);
    this.logBytes += all.length;
  }

  /** Drops expired records, then the oldest while over a bound; returns delete frames to log. */
  private evict(frames: Buffer[]): Buffer[] {
    const now = this.now();
    // Expired ones go (the log skips them on load); the scan is skipped while none can have expired.
    if (now >= this.nextExpiry) {
      let next = Infinity;
      for (const [id, e] of this.records) {
        if (e.expiresAt <= now) this.drop(id);
        else if (e.expiresAt < next) next = e.expiresAt;
      }
      this.nextExpiry = next;
    }
    const evicted: string[] = [];
    for (const [id] of this.records) {
      if (this.records.size <= this.opts.maxRecords && this.bytes <= this.opts.maxBytes) break;
      this.drop(id);
      evicted.push(id);
    }
    if (evicted.length) frames.push(delFrames(evicted));
    return frames;
  }

  async put(records: readonly EncodedRecord[]): Promise<number> {
    const now = this.now();
    const frames: Buffer[] = [];
    let at = this.logBytes; // put frames go first in this append, delete frames after them
    for (const { index, bytes } of records) {
      const expiresAt = now + retentionSecondsOf(index) * 1000;
      const f = putFrame(bytes, expiresAt);
      this.drop(index.requestId);
      // The record's bytes inside its frame: held without a copy of their own.
      this.add({ index, bytes: f.subarray(13), expiresAt, size: f.length, at });
      at += f.length;
      frames.push(f);
    }
    this.append(this.evict(frames));
    this.maybeCompact();
    return records.length;
  }

  private live(id: string): Entry | undefined {
    const e = this.records.get(id);
    if (e && e.expiresAt <= this.now()) {
      this.drop(id);
      return undefined;
    }
    return e;
  }

  async get(requestId: string): Promise<RecordMsg | undefined> {
    const e = this.live(requestId);
    return e && fromBinary(RecordSchema, e.bytes);
  }

  async list(filter: ListFilter): Promise<RecordMsg[]> {
    const f = resolveFilter(filter);
    const now = this.now();
    const hits: Entry[] = [];
    for (const e of this.records.values()) if (e.expiresAt > now && f.matches(e.index)) hits.push(e);
    hits.sort((a, b) => b.index.timestampMs - a.index.timestampMs);
    return hits.slice(0, f.limit).map((e) => fromBinary(RecordSchema, splitBodies(e.bytes).meta));
  }

  async delete(requestIds: string[]): Promise<number> {
    const frames: Buffer[] = [];
    let n = 0;
    for (const id of new Set(requestIds)) {
      const existed = this.live(id) !== undefined;
      if (!this.drop(id)) continue;
      if (existed) n++;
      frames.push(frame(DEL, Buffer.from(id, "utf8")));
    }
    this.append(frames);
    this.maybeCompact();
    return n;
  }

  /** Rewrites the log with only live records once more than half of it is dead. */
  private maybeCompact(): void {
    const file = this.opts.file;
    if (!file || this.fd === undefined) return;
    if (this.logBytes < (this.opts.minCompactBytes ?? MIN_COMPACT_BYTES) || this.liveLogBytes * 2 > this.logBytes) return;
    const now = this.now();
    const tmp = `${file}.tmp`;
    // Live put entries are copied from the current log byte for byte (expiry included), not re-encoded.
    const old = readFileSync(file);
    const fd = openSync(tmp, "w");
    let size = 0;
    try {
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      const flush = () => {
        if (chunk.length) writeSync(fd, chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, chunkBytes));
        chunk = [];
        chunkBytes = 0;
      };
      for (const [id, e] of this.records) {
        if (e.expiresAt <= now) {
          this.drop(id);
          continue;
        }
        const f = isPutAt(old, e) ? old.subarray(e.at, e.at + e.size) : putFrame(e.bytes, e.expiresAt);
        e.at = size;
        chunk.push(f);
        chunkBytes += f.length;
        size += f.length;
        if (chunkBytes >= 1 << 20) flush();
      }
      flush();
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // rename is atomic: a crash leaves either the old log or the new one, never half of each.
    renameSync(tmp, file);
    closeSync(this.fd);
    this.fd = openSync(file, "a");
    this.logBytes = size;
    this.liveLogBytes = size;
    this.log.debug({ file, bytes: size, records: this.records.size }, "record log compacted");
  }

  /** Records held (expired ones not yet swept included); for tests and diagnostics. */
  get size(): number {
    return this.records.size;
  }

  /** Bytes of the log file, for tests. */
  get logSize(): number {
    return this.logBytes;
  }

  async close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
