// The bytes of each Record inside a StoreBatchRequest, so a store can log them as received rather
// than re-encode every record with protobuf-es (the recorder's main cost under load).

/** Views of each `records` (field 1) entry of StoreBatchRequest binary; undefined if it holds anything else. */
export function recordSlices(batch: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < batch.length) {
    if (batch[off++] !== 0x0a) return undefined; // field 1, length-delimited (the only field)
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      if (off >= batch.length || shift > 28) return undefined;
      const b = batch[off++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (off + len > batch.length) return undefined;
    out.push(batch.subarray(off, off + len));
    off += len;
  }
  return out;
}
