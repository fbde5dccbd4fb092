// The embedded store's index: one row per record in typed arrays (struct of arrays), so holding a
// record costs its request id string, a Map entry and a few array cells, not objects of its own
// (per-record objects living for seconds were promoted and made up a third of the recorder's CPU
// as GC). A record's bytes stay inside its batch (a Unit), found by offset and length.

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

export class RecordTable {
  private cap = MIN_CAP;
  /** Rows [head, tail) are in use, oldest first; dead rows have no unit. */
  head = 0;
  tail = 0;
  unit: Array<Unit | undefined> = new Array(MIN_CAP);
  ids: Array<string | undefined> = new Array(MIN_CAP);
  off = new Uint32Array(MIN_CAP);
  len = new Uint32Array(MIN_CAP);
  ts = new Float64Array(MIN_CAP);
  exp = new Float64Array(MIN_CAP);
  status = new Uint16Array(MIN_CAP);
  /** Interned function, namespace and trigger names (see `names`). */
  fn = new Int32Array(MIN_CAP);
  ns = new Int32Array(MIN_CAP);
  tr = new Int32Array(MIN_CAP);
  /** Request id → row. */
  readonly rows = new Map<string, number>();
  /** Name ids index this; names are never forgotten (there are few: functions, namespaces, triggers). */
  readonly names: string[] = [""];
  private readonly nameIds = new Map<string, number>([["", 0]]);

  get size(): number {
    return this.rows.size;
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

  /** A new row at the tail for `id` (after `reserve`; the caller has dropped any row the id had). */
  add(u: Unit, id: string, off: number, len: number): number {
    const row = this.tail++;
    this.unit[row] = u;
    this.ids[row] = id;
    this.off[row] = off;
    this.len[row] = len;
    this.rows.set(id, row);
    return row;
  }

  /** Clears a live row; the caller settles the unit's counts. */
  clear(row: number): void {
    this.rows.delete(this.ids[row]!);
    this.unit[row] = undefined;
    this.ids[row] = undefined;
  }

  /** The oldest live row, or -1; dead rows before it are given up. */
  oldest(): number {
    while (this.head < this.tail && this.unit[this.head] === undefined) this.head++;
    return this.head < this.tail ? this.head : -1;
  }

  /**
   * Moves live rows to the front (into larger arrays when more than a quarter of them is live, so
   * a repack's cost, one Map update per live row, is spread over at least three times as many adds).
   */
  private repack(extra: number): void {
    const live = this.rows.size + extra;
    let cap = this.cap;
    while (live * 4 > cap) cap *= 2;
    while (cap > MIN_CAP && live * 16 < cap) cap /= 2;
    const old = { unit: this.unit, ids: this.ids, off: this.off, len: this.len, ts: this.ts, exp: this.exp, status: this.status, fn: this.fn, ns: this.ns, tr: this.tr };
    if (cap !== this.cap) {
      this.unit = new Array(cap);
      this.ids = new Array(cap);
      this.off = new Uint32Array(cap);
      this.len = new Uint32Array(cap);
      this.ts = new Float64Array(cap);
      this.exp = new Float64Array(cap);
      this.status = new Uint16Array(cap);
      this.fn = new Int32Array(cap);
      this.ns = new Int32Array(cap);
      this.tr = new Int32Array(cap);
      this.cap = cap;
    }
    let to = 0;
    let last: Unit | undefined;
    for (let from = this.head; from < this.tail; from++) {
      const u = old.unit[from];
      if (!u) continue;
      if (u !== last) {
        if (last) last.end = to;
        u.first = to;
        last = u;
      }
      this.unit[to] = u;
      this.ids[to] = old.ids[from];
      this.off[to] = old.off[from]!;
      this.len[to] = old.len[from]!;
      this.ts[to] = old.ts[from]!;
      this.exp[to] = old.exp[from]!;
      this.status[to] = old.status[from]!;
      this.fn[to] = old.fn[from]!;
      this.ns[to] = old.ns[from]!;
      this.tr[to] = old.tr[from]!;
      this.rows.set(old.ids[from]!, to);
      to++;
    }
    if (last) last.end = to;
    // Rows past the live ones must not keep units or ids alive (same arrays when not resized).
    this.unit.fill(undefined, to, this.tail);
    this.ids.fill(undefined, to, this.tail);
    this.head = 0;
    this.tail = to;
  }
}
