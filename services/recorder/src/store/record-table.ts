// The embedded store's index: one row per record in typed arrays (struct of arrays), so holding a
// record costs a few array cells, not objects of its own (per-record objects living for seconds
// were promoted and made up a third of the recorder's CPU as GC). A record's bytes stay inside its
// batch (a Unit), found by offset and length. Request ids are looked up by their bytes inside the
// unit through an open-addressing hash table: no id string or Map entry per record either (those
// were a quarter of what storing a batch cost, GC included).

/** A batch of records kept as received: one buffer, one log frame. */
export interface Unit {
  /** StoreBatchRequest binary: the records, each a field 1 entry. */
  bytes: Buffer;
  /** Each record expires at receivedAt + its retention. */
  receivedAt: number;
  /** Offset of its frame in the log; -1 when there is no log. */
  logAt: number;
  /** Rows [first, end) of the table are this unit's (some may be dead or reused by none). */
  first: number;
  end: number;
  /** Records in `bytes`, and how many of them are live. */
  n: number;
  live: number;
  /** No live record of the unit expires before this. */
  minExp: number;
}

const MIN_CAP = 1024;
/** The row columns besides `unit`, moved together by a repack. */
const COLUMNS = ["idOff", "idLen", "idHash", "off", "len", "ts", "exp", "status", "fn", "ns", "tr"] as const;
type Column = Uint32Array | Float64Array | Uint16Array | Int32Array;
const EMPTY = 0;
const GONE = -1;

/** FNV-1a of bytes[start, end). */
export function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

export class RecordTable {
  private cap = MIN_CAP;
  /** Rows [head, tail) are in use, oldest first; dead rows have no unit. */
  head = 0;
  tail = 0;
  unit: Array<Unit | undefined> = new Array(MIN_CAP);
  /** The request id's bytes in the unit: [idOff, idOff + idLen), and their hash. */
  idOff = new Uint32Array(MIN_CAP);
  idLen = new Uint32Array(MIN_CAP);
  idHash = new Uint32Array(MIN_CAP);
  off = new Uint32Array(MIN_CAP);
  len = new Uint32Array(MIN_CAP);
  ts = new Float64Array(MIN_CAP);
  exp = new Float64Array(MIN_CAP);
  status = new Uint16Array(MIN_CAP);
  /** Interned function, namespace and trigger names (see `names`). */
  fn = new Int32Array(MIN_CAP);
  ns = new Int32Array(MIN_CAP);
  tr = new Int32Array(MIN_CAP);
  /** Request id hash table: row + 1 per slot, EMPTY or GONE (a deleted entry probes go past). */
  private slots = new Int32Array(2 * MIN_CAP);
  /** Slots not EMPTY (live and GONE): the table is rebuilt before probes get long. */
  private usedSlots = 0;
  private live = 0;
  /** Name ids index this; names are never forgotten (there are few: functions, namespaces, triggers). */
  readonly names: string[] = [""];
  private readonly nameIds = new Map<string, number>([["", 0]]);

  /** Live rows (expired ones not yet swept included). */
  get size(): number {
    return this.live;
  }

  /** The live row whose request id is bytes[start, end), or -1. */
  find(bytes: Uint8Array, start: number, end: number, hash = hashOf(bytes, start, end)): number {
    const mask = this.slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i]!;
      if (v === EMPTY) return -1;
      if (v === GONE) continue;
      const row = v - 1;
      if (this.idHash[row] === hash && this.idIs(row, bytes, start, end)) return row;
    }
  }

  /** The live row of a request id, or -1. */
  findId(id: string): number {
    const b = Buffer.from(id);
    return this.find(b, 0, b.length);
  }

  /** A row's request id. */
  idOf(row: number): string {
    const at = this.idOff[row]!;
    return this.unit[row]!.bytes.toString("utf8", at, at + this.idLen[row]!);
  }

  private idIs(row: number, bytes: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    if (this.idLen[row] !== n) return false;
    const mine = this.unit[row]!.bytes;
    const at = this.idOff[row]!;
    for (let k = 0; k < n; k++) if (mine[at + k] !== bytes[start + k]) return false;
    return true;
  }

  private place(row: number): void {
    const mask = this.slots.length - 1;
    let i = this.idHash[row]! & mask;
    while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
    this.slots[i] = row + 1;
    this.usedSlots++;
  }

  /** Rebuilds the hash table for the live rows (drops GONE entries), sized for `expect` rows. */
  private rehash(expect: number): void {
    let n = 2 * MIN_CAP;
    while (n < expect * 2) n *= 2;
    this.slots = new Int32Array(n);
    this.usedSlots = 0;
    for (let row = this.head; row < this.tail; row++) if (this.unit[row] !== undefined) this.place(row);
  }

  /** The id of a name, interned on first use. */
  intern(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  private readonly lastName = ["", "", ""];
  private readonly lastId = [0, 0, 0];

  /** `intern` for one of the three name columns, remembering its last name (batches repeat them). */
  internAt(column: number, name: string): number {
    if (name === this.lastName[column]) return this.lastId[column]!;
    const id = this.intern(name);
    this.lastName[column] = name;
    this.lastId[column] = id;
    return id;
  }

  /** The id of a name if it was ever interned, else -1 (nothing can match it). */
  nameId(name: string): number {
    return this.nameIds.get(name) ?? -1;
  }

  /** Makes room for n rows at the tail, so a unit's rows are added without a repack between them. */
  reserve(n: number): void {
    if (this.tail + n > this.cap) this.repack(n);
  }

  /**
   * A new row at the tail for the record at u.bytes[off, off + len) whose request id is
   * u.bytes[idStart, idEnd) (after `reserve`; the caller has dropped any row the id had).
   */
  add(u: Unit, idStart: number, idEnd: number, off: number, len: number, hash = hashOf(u.bytes, idStart, idEnd)): number {
    const row = this.tail++;
    this.unit[row] = u;
    this.idOff[row] = idStart;
    this.idLen[row] = idEnd - idStart;
    this.idHash[row] = hash;
    this.off[row] = off;
    this.len[row] = len;
    this.live++;
    // A rebuild places every live row, this one included.
    if ((this.usedSlots + 1) * 4 > this.slots.length * 3) this.rehash(this.live);
    else this.place(row);
    return row;
  }

  /** Clears a live row; the caller settles the unit's counts. */
  clear(row: number): void {
    const mask = this.slots.length - 1;
    let i = this.idHash[row]! & mask;
    while (this.slots[i] !== row + 1) i = (i + 1) & mask;
    this.slots[i] = GONE;
    this.unit[row] = undefined;
    this.live--;
  }

  /** The unit's bytes were rewritten: its live rows' records (and ids) now start at `starts[k]`. */
  moved(rows: readonly number[], starts: readonly number[]): void {
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k]!;
      this.idOff[row] = starts[k]! + (this.idOff[row]! - this.off[row]!);
      this.off[row] = starts[k]!;
    }
  }

  /** The oldest live row, or -1; dead rows before it are given up. */
  oldest(): number {
    while (this.head < this.tail && this.unit[this.head] === undefined) this.head++;
    return this.head < this.tail ? this.head : -1;
  }

  /**
   * Moves live rows to the front (into larger arrays when more than a quarter of them is live, so
   * a repack's cost, a copy and a hash-table rebuild for the live rows, is spread over at least
   * three times as many adds).
   */
  private repack(extra: number): void {
    const live = this.live + extra;
    let cap = this.cap;
    while (live * 4 > cap) cap *= 2;
    while (cap > MIN_CAP && live * 16 < cap) cap /= 2;
    const resize = cap !== this.cap;
    const units = this.unit;
    if (resize) this.unit = new Array(cap);
    // Where each live row comes from, oldest first; rows only move down, so copying in place is safe.
    const from = new Int32Array(this.live);
    let to = 0;
    let last: Unit | undefined;
    for (let row = this.head; row < this.tail; row++) {
      const u = units[row];
      if (!u) continue;
      if (u !== last) {
        if (last) last.end = to;
        u.first = to;
        last = u;
      }
      this.unit[to] = u;
      from[to++] = row;
    }
    if (last) last.end = to;
    const columns = this as unknown as Record<(typeof COLUMNS)[number], Column>;
    for (const c of COLUMNS) {
      const src = columns[c];
      const dst = resize ? new (src.constructor as new (n: number) => Column)(cap) : src;
      for (let k = 0; k < to; k++) dst[k] = src[from[k]!]!;
      columns[c] = dst;
    }
    this.cap = cap;
    // Rows past the live ones must not keep units alive (same array when not resized).
    this.unit.fill(undefined, to, this.tail);
    this.head = 0;
    this.tail = to;
    this.rehash(this.live + extra);
  }
}
