// Reading a whole StoreBatch binary into the embedded store's table without per-record objects:
// one pass over the batch fills reused typed arrays, names are interned by the table, and request
// ids stay bytes in the batch.
import { forEachRecord, nameOf, RecordFields, scanFields } from "./record-bytes.js";
import type { RecordTable } from "./record-table.js";

export interface BatchScan {
  count: number;
  /**
   * Some record lacks a field the recorder fills in (namespace, time, retention) or may be
   * invalid: the batch must go through the per-record path, which normalizes or says what is wrong.
   */
  fill: boolean;
  /** Retention of the last record, in ms (a lone record of an older log needs it). */
  lastRetentionMs: number;
}

const fields = new RecordFields();

/** What the last scanBatch read, per record (grown as needed, never shrunk: at most a batch's worth). */
let cap = 0;
let start = new Int32Array(0);
let end = new Int32Array(0);
let names = new Int32Array(0);
let idAt = new Int32Array(0);
let ts = new Float64Array(0);
let retention = new Float64Array(0);
let status = new Int32Array(0);

function grow(): void {
  const n = Math.max(1024, cap * 2);
  const more = <T extends Int32Array | Float64Array>(a: T, k: number): T => {
    const b = new (a.constructor as new (n: number) => T)(n * k);
    b.set(a);
    return b;
  };
  [start, end, idAt, status] = [more(start, 1), more(end, 1), more(idAt, 2), more(status, 1)];
  [names, ts, retention] = [more(names, 6), more(ts, 1), more(retention, 1)];
  cap = n;
}

/** Whether a request id's bytes are plainly valid (ASCII, no space or control, at most 200). */
function plainId(b: Uint8Array, from: number, to: number): boolean {
  if (to <= from || to - from > 200) return false;
  for (let i = from; i < to; i++) if (b[i]! <= 0x20 || b[i]! >= 0x7f) return false;
  return true;
}

const present = (f: RecordFields, column: number) => f.names[column * 2 + 1]! > f.names[column * 2]!;

/** Reads and checks a batch's records; undefined when the batch is malformed. */
export function scanBatch(bytes: Uint8Array): BatchScan | undefined {
  let fill = false;
  let bad = false;
  let i = 0;
  const count = forEachRecord(bytes, (s, e) => {
    if (bad || !scanFields(bytes, s, e, fields)) return void (bad = true);
    if (i === cap) grow();
    const f = fields;
    if (!plainId(bytes, f.idStart, f.idEnd) || !present(f, 0) || !present(f, 1) || f.timestampMs <= 0 || f.retentionSeconds <= 0) fill = true;
    start[i] = s;
    end[i] = e;
    idAt[i * 2] = f.idStart;
    idAt[i * 2 + 1] = f.idEnd;
    names.set(f.names, i * 6);
    ts[i] = f.timestampMs;
    retention[i] = f.retentionSeconds * 1000;
    status[i] = f.status;
    i++;
  });
  return count < 0 || bad ? undefined : { count, fill, lastRetentionMs: i > 0 ? retention[i - 1]! : 0 };
}

/** A record's index fields; its request id is bytes[idStart, idEnd). */
export type RowSink = (idStart: number, idEnd: number, off: number, len: number, ts: number, status: number, fn: number, ns: number, tr: number, retentionMs: number) => void;

/** Calls `sink` with each record's index fields, as the last scanBatch (of these bytes, without `fill`) read them. */
export function eachRow(bytes: Uint8Array, count: number, t: RecordTable, sink: RowSink): void {
  const f = fields;
  for (let i = 0; i < count; i++) {
    f.idStart = idAt[i * 2]!;
    f.idEnd = idAt[i * 2 + 1]!;
    for (let k = 0; k < 6; k++) f.names[k] = names[i * 6 + k]!;
    sink(
      f.idStart,
      f.idEnd,
      start[i]!,
      end[i]! - start[i]!,
      ts[i]!,
      status[i]!,
      t.internAt(0, nameOf(f, bytes, 0)),
      t.internAt(1, nameOf(f, bytes, 1)),
      t.internAt(2, nameOf(f, bytes, 2)),
      retention[i]!,
    );
  }
}
