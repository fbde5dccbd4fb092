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
  const bytes = Buffer.from(ids.join(""));
  const starts = new Uint32Array(ids.length);
  const lens = new Uint32Array(ids.length);
  let at = 0;
  ids.forEach((id, k) => {
    starts[k] = at;
    lens[k] = Buffer.byteLength(id);
    at += lens[k]!;
  });
  return delFramesOf(bytes, starts, lens, Uint32Array.from(ids.keys()), ids.length);
}

/**
 * Delete frames for the request ids at bytes[starts[r], starts[r] + lens[r]) for the first `n`
 * entries r of `which`, copied byte for byte (evicting a batch's oldest records makes no id strings).
 */
export function delFramesOf(bytes: Uint8Array, starts: Uint32Array, lens: Uint32Array, which: ArrayLike<number>, n: number): Buffer {
  let size = 0;
  for (let k = 0; k < n; k++) size += 5 + lens[which[k]!]!;
  const b = Buffer.allocUnsafe(size);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const r = which[k]!;
    const len = lens[r]!;
    const from = starts[r]!;
    b.writeUInt32BE(1 + len, at);
    b[at + 4] = DEL;
    for (let i = 0; i < len; i++) b[at + 5 + i] = bytes[from + i]!;
    at += 5 + len;
  }
  return b;
}

