// The embedded store's append-only log ($STATE/recorder/records.log): entries of [u32 BE length][u8 kind][payload], where
// the length covers kind + payload. Kind 3: a batch, payload = [f64 BE received-at ms][StoreBatch
// binary]; each record expires at received-at + its retention. Kind 2: a delete, payload = the
// request id (UTF-8). Kind 4: a batch evicted, payload = [f64 BE offset of its frame]. Kind 1 (older
// logs, still read): one record, payload = [f64 BE expires-at ms][Record binary]. A torn or
// unreadable tail is cut off at start.

export const PUT = 1;
export const DEL = 2;
export const BATCH = 3;
export const DROP = 4;
/** Frame header of a batch: length, kind, received-at. */
export const HEAD = 13;

/** A frame header with an f64 payload start: a batch's received-at, or a whole drop frame (payloadBytes 0). */
export function header(kind: number, payloadBytes: number, f64: number): Buffer {
  const b = Buffer.allocUnsafe(HEAD);
  b.writeUInt32BE(9 + payloadBytes, 0);
  b[4] = kind;
  b.writeDoubleBE(f64, 5);
  return b;
}

/** Delete frames for `ids`, back to back in one buffer. */
export function delFrames(ids: readonly string[]): Buffer {
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

