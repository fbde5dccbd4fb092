// The store `fizz up` uses when no Redis is configured: records in memory with TTL expiry and
// size bounds (oldest evicted first), persisted to an append-only log so they survive a restart.
// A received batch is kept as one unit, its bytes as sent: one buffer in memory, one log write,
// rows in a typed-array table (record-table.ts); records are decoded only when read.
// The log format is in record-log.ts.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writevSync } from "node:fs";
import { dirname } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { RecordSchema, type Record as RecordMsg } from "@fizz/proto";
import { FizzError, silentLogger, type Logger } from "@fizz/common";
import { batchOf, forEachRecord, framedSize, splitBodies, type EncodedRecord } from "./record-bytes.js";
import { hashOf, RecordTable, type Unit } from "./record-table.js";
import { BATCH, DEL, delFrames, delFramesOf, DROP, HEAD, header, PUT } from "./record-log.js";
import { eachRow, scanBatch } from "./scan-batch.js";
import { resolveFilter, type ListFilter, type RecordStore } from "./store.js";

/** Compaction is not worth it below this many log bytes. */
const MIN_COMPACT_BYTES = 8 * 1024 * 1024;
/**
 * The log is rewritten once live records are less than 1/COMPACT_RATIO of it: at the record bound
 * every batch appended makes as much dead, and a rewrite (with its fsync) per few batches was a
 * tenth of the recorder's CPU. Disk stays bounded at about COMPACT_RATIO × maxBytes.
 */
const COMPACT_RATIO = 4;

export interface EmbeddedStoreOptions {
  /** Log file; undefined keeps records in memory only. */
  file?: string;
  maxRecords: number;
  maxBytes: number;
  /** Log bytes below which compaction never runs (tests lower it). */
  minCompactBytes?: number;
  now?: () => number;
}

export class EmbeddedStore implements RecordStore {
  private readonly t = new RecordTable();
  /** Units in arrival order; dead ones (live = 0) are pruned now and then. */
  private units: Unit[] = [];
  private deadUnits = 0;
  private ingesting?: Unit;
  /** Rows evicted from the unit being evicted, for its delete frames (reused). */
  private evicted = new Int32Array(64);
  /** Memory held: the frame size of every live unit (bounded by maxBytes). */
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
    this.append(this.evict());
    this.maybeCompact();
  }

  private load(file: string): void {
    const buf = readFileSync(file);
    const now = this.now();
    const byOffset = new Map<number, Unit>();
    let off = 0;
    while (off + 5 <= buf.length) {
      const len = buf.readUInt32BE(off);
      if (len < 1 || off + 4 + len > buf.length) break;
      const kind = buf[off + 4];
      const payload = buf.subarray(off + 5, off + 4 + len);
      if (kind === BATCH || kind === PUT) {
        if (payload.length < 8) break;
        // A copy, so live records do not keep the whole log file's buffer alive.
        const body = Buffer.from(payload.subarray(8));
        const bytes = kind === BATCH ? body : batchOf([body]);
        const scan = scanBatch(bytes);
        if (scan === undefined || scan.fill) break;
        // A lone record's expiry is stored; as a unit it becomes received-at + retention.
        const receivedAt = kind === BATCH ? payload.readDoubleBE(0) : payload.readDoubleBE(0) - scan.lastRetentionMs;
        const u = this.ingest(bytes, scan.count, receivedAt, off, now);
        byOffset.set(off, u);
      } else if (kind === DEL) this.dropRowOf(this.t.find(payload, 0, payload.length));
      else if (kind === DROP && payload.length === 8) {
        const u = byOffset.get(payload.readDoubleBE(0));
        if (u) this.dropUnit(u);
      } else break;
      off += 4 + len;
    }
    if (off < buf.length) {
      this.log.warn({ file, kept: off, dropped: buf.length - off }, "record log has a torn or unreadable tail; cutting it off");
      truncateSync(file, off);
    }
    this.logBytes = off;
  }

  /** Adds a unit's records as scanBatch just read them (replacing earlier ones of the same ids); expired ones only replace. */
  private ingest(bytes: Buffer, count: number, receivedAt: number, logAt: number, now: number): Unit {
    const t = this.t;
    t.reserve(count);
    const u: Unit = { bytes, receivedAt, logAt, first: t.tail, end: t.tail, n: count, live: 0, minExp: Infinity };
    const size = HEAD + bytes.length;
    this.bytes += size;
    this.liveLogBytes += size;
    this.units.push(u);
    this.ingesting = u;
    eachRow(bytes, count, t, (idStart, idEnd, off, len, ts, status, fn, ns, tr, retentionMs) => {
      const hash = hashOf(bytes, idStart, idEnd);
      this.dropRowOf(t.find(bytes, idStart, idEnd, hash));
      const exp = receivedAt + retentionMs;
      if (exp <= now) {
        this.liveLogBytes -= framedSize(len);
        return;
      }
      const row = t.add(u, idStart, idEnd, off, len, hash);
      t.ts[row] = ts;
      t.exp[row] = exp;
      t.status[row] = status;
      t.fn[row] = fn;
      t.ns[row] = ns;
      t.tr[row] = tr;
      u.live++;
      if (exp < u.minExp) u.minExp = exp;
    });
    u.end = t.tail;
    this.ingesting = undefined;
    if (u.live === 0) this.unitDied(u);
    else if (u.minExp < this.nextExpiry) this.nextExpiry = u.minExp;
    return u;
  }

  /** Forgets a live row. */
  private dropRow(row: number): void {
    const t = this.t;
    const u = t.unit[row]!;
    const len = t.len[row]!;
    t.clear(row);
    // The record's share of its unit's frame: its bytes plus tag and length prefix.
    this.liveLogBytes -= framedSize(len);
    // A unit being ingested can lose a row to a later one of its own (a repeated id): it is settled at the end.
    if (--u.live === 0 && u !== this.ingesting) this.unitDied(u);
  }

  private unitDied(u: Unit): void {
    this.liveLogBytes -= HEAD;
    this.bytes -= HEAD + u.bytes.length;
    if (++this.deadUnits * 2 > this.units.length) this.pruneUnits();
  }

  /** Forgets a record in memory by its row (-1: none); true when it was there. */
  private dropRowOf(row: number): boolean {
    if (row < 0) return false;
    this.dropRow(row);
    return true;
  }

  private dropUnit(u: Unit): void {
    for (let row = u.first; row < u.end && u.live > 0; row++) if (this.t.unit[row] === u) this.dropRow(row);
  }

  private pruneUnits(): void {
    this.units = this.units.filter((u) => u.live > 0);
    this.deadUnits = 0;
  }

  private append(frames: Buffer[]): void {
    if (this.fd === undefined || frames.length === 0) return;
    let n = 0;
    for (const f of frames) n += f.length;
    writevSync(this.fd, frames);
    this.logBytes += n;
  }

  /** Drops expired records, then the oldest while over a bound; returns the frames to log. */
  private evict(): Buffer[] {
    const now = this.now();
    const t = this.t;
    // Expired ones go (the log skips them on load); nothing is scanned while none can have expired.
    if (now >= this.nextExpiry) {
      let next = Infinity;
      for (const u of this.units) {
        if (u.live > 0 && u.minExp <= now) {
          let min = Infinity;
          for (let row = u.first; row < u.end && u.live > 0; row++) {
            if (t.unit[row] !== u) continue;
            if (t.exp[row]! <= now) this.dropRow(row);
            else if (t.exp[row]! < min) min = t.exp[row]!;
          }
          u.minExp = min;
        }
        if (u.live > 0 && u.minExp < next) next = u.minExp;
      }
      this.nextExpiry = next;
    }
    // Oldest first: a unit evicted whole is logged as one frame, one left partly live as deletes
    // of the rows evicted here (their ids still sit in the unit's bytes: no strings are made).
    const frames: Buffer[] = [];
    let cur: Unit | undefined;
    let n = 0;
    const settle = () => {
      if (!cur || cur.logAt < 0) return;
      if (cur.live === 0) frames.push(header(DROP, 0, cur.logAt));
      else frames.push(delFramesOf(cur.bytes, t.idOff, t.idLen, this.evicted, n));
    };
    while (t.size > this.opts.maxRecords || this.bytes > this.opts.maxBytes) {
      const row = t.oldest();
      if (row < 0) break;
      const u = t.unit[row]!;
      if (u !== cur) {
        settle();
        cur = u;
        n = 0;
      }
      if (u.logAt >= 0) {
        if (n === this.evicted.length) {
          const more = new Int32Array(2 * n);
          more.set(this.evicted);
          this.evicted = more;
        }
        this.evicted[n++] = row;
      }
      this.dropRow(row);
    }
    settle();
    return frames;
  }

  /** Stores a StoreBatchRequest binary as one unit; undefined when it needs `put` (see scanBatch). */
  async putBatch(batch: Uint8Array): Promise<number | undefined> {
    const scan = scanBatch(batch);
    if (scan === undefined || scan.fill) return undefined;
    // A small batch may be a view into a larger shared buffer (Node's pool): kept as is, it would
    // hold memory the bytes bound does not see, so it gets a buffer of its own.
    const shared = batch.buffer.byteLength > 2 * batch.byteLength;
    const bytes = shared ? Buffer.from(batch) : Buffer.isBuffer(batch) ? batch : Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
    this.store(bytes, scan.count, this.now());
    return scan.count;
  }

  async put(records: readonly EncodedRecord[]): Promise<number> {
    const bytes = batchOf(records.map((r) => r.bytes));
    // Normalized records: the scan only fills in what ingest reads.
    if (!scanBatch(bytes)) throw new FizzError("INTERNAL", "a normalized record failed to scan");
    this.store(bytes, records.length, this.now());
    return records.length;
  }

  private store(bytes: Buffer, count: number, now: number): void {
    const at = this.fd === undefined ? -1 : this.logBytes;
    this.ingest(bytes, count, now, at, now);
    if (at >= 0) this.append([header(BATCH, bytes.length, now), bytes]);
    this.append(this.evict());
    this.maybeCompact();
  }

  /** The live row of a request id. */
  private live(id: string): number | undefined {
    const row = this.t.findId(id);
    if (row < 0) return undefined;
    if (this.t.exp[row]! <= this.now()) {
      this.dropRow(row);
      return undefined;
    }
    return row;
  }

  private recordBytes(row: number): Buffer {
    const off = this.t.off[row]!;
    return this.t.unit[row]!.bytes.subarray(off, off + this.t.len[row]!);
  }

  async get(requestId: string): Promise<RecordMsg | undefined> {
    const row = this.live(requestId);
    return row === undefined ? undefined : fromBinary(RecordSchema, this.recordBytes(row));
  }

  async list(filter: ListFilter): Promise<RecordMsg[]> {
    const f = resolveFilter(filter);
    const t = this.t;
    const now = this.now();
    // Names never interned match nothing (-1); an absent filter matches any (-2).
    const want = (name: string | undefined) => (name === undefined ? -2 : t.nameId(name));
    const [ns, fn, tr] = [want(f.namespace), want(f.function), want(f.trigger)];
    const hits: number[] = [];
    for (let row = t.head; row < t.tail; row++) {
      if (t.unit[row] === undefined || t.exp[row]! <= now) continue;
      if ((ns !== -2 && t.ns[row] !== ns) || (fn !== -2 && t.fn[row] !== fn) || (tr !== -2 && t.tr[row] !== tr)) continue;
      const ts = t.ts[row]!;
      if (ts >= f.sinceMs && ts <= f.untilMs && f.status(t.status[row]!)) hits.push(row);
    }
    hits.sort((a, b) => t.ts[b]! - t.ts[a]!);
    return hits.slice(0, f.limit).map((row) => fromBinary(RecordSchema, splitBodies(this.recordBytes(row)).meta));
  }

  async delete(requestIds: string[]): Promise<number> {
    const gone: string[] = [];
    let n = 0;
    for (const id of new Set(requestIds)) {
      const existed = this.live(id) !== undefined;
      if (!this.dropRowOf(this.t.findId(id))) continue;
      if (existed) n++;
      gone.push(id);
    }
    if (gone.length) this.append([delFrames(gone)]);
    this.maybeCompact();
    return n;
  }

  /** Rewrites the log with only live records (from memory, not the old log) once most of it is dead. */
  private maybeCompact(): void {
    const file = this.opts.file;
    if (!file || this.fd === undefined) return;
    if (this.logBytes < (this.opts.minCompactBytes ?? MIN_COMPACT_BYTES) || this.liveLogBytes * COMPACT_RATIO > this.logBytes) return;
    this.pruneUnits();
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, "w");
    let size = 0;
    try {
      for (const u of this.units) {
        if (u.live < u.n) this.repackUnit(u);
        u.logAt = size;
        writevSync(fd, [header(BATCH, u.bytes.length, u.receivedAt), u.bytes]);
        size += HEAD + u.bytes.length;
      }
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
    this.log.debug({ file, bytes: size, records: this.t.size }, "record log compacted");
  }

  /** Copies a unit's live records into a buffer of their own (dead ones stop holding memory). */
  private repackUnit(u: Unit): void {
    const t = this.t;
    const rows: number[] = [];
    for (let row = u.first; row < u.end; row++) if (t.unit[row] === u) rows.push(row);
    const bytes = batchOf(rows.map((row) => this.recordBytes(row)));
    this.bytes += bytes.length - u.bytes.length;
    u.bytes = bytes;
    u.n = rows.length;
    const starts: number[] = [];
    forEachRecord(bytes, (start) => void starts.push(start));
    t.moved(rows, starts);
  }

  /** Records held (expired ones not yet swept included); for tests and diagnostics. */
  get size(): number {
    return this.t.size;
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
