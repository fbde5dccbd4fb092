import { crc32 } from "node:zlib";
import { Inflate } from "fflate";
import { isFizzError } from "@fizz/common";
import { malformed, quote, tooLarge, unsafe } from "./paths.js";
import type { Sink } from "./sink.js";

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
  /** Unix st_mode from the external attributes, 0 when the zip was made elsewhere. */
  mode: number;
}

const bad = (msg: string) => malformed("zip", msg);

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

// Compressed input is fed to the inflater in small pieces, so a lying entry (declaring a small
// size, inflating to gigabytes) is stopped after at most ~1000× this much output.
const PUSH = 16 * 1024;
const STORED_CHUNK = 256 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });
function decodeName(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes).toString("latin1"); // CP437-ish names from old tools
  }
}

/**
 * Reads the central directory: the authoritative list of entries, with sizes (local headers may
 * defer them to a data descriptor) and the Unix modes that mark symlinks and devices.
 */
function centralDirectory(buf: Buffer): ZipEntry[] {
  const need = (off: number, len: number, what: string) => {
    if (off < 0 || off + len > buf.length) throw bad(`truncated ${what}`);
  };
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--)
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw bad("no end of central directory record");
  let count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || off === 0xffffffff) {
    const loc = eocd - 20;
    need(loc, 20, "zip64 locator");
    if (buf.readUInt32LE(loc) !== 0x07064b50) throw bad("missing zip64 locator");
    const z = Number(buf.readBigUInt64LE(loc + 8));
    need(z, 56, "zip64 end record");
    if (buf.readUInt32LE(z) !== 0x06064b50) throw bad("bad zip64 end record");
    count = Number(buf.readBigUInt64LE(z + 32));
    off = Number(buf.readBigUInt64LE(z + 48));
  }
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    need(off, 46, "central directory");
    if (buf.readUInt32LE(off) !== 0x02014b50) throw bad("bad central directory entry");
    const host = buf.readUInt16LE(off + 4) >> 8;
    const nameLen = buf.readUInt16LE(off + 28);
    const extraLen = buf.readUInt16LE(off + 30);
    const commentLen = buf.readUInt16LE(off + 32);
    need(off + 46, nameLen + extraLen, "central directory entry");
    const e: ZipEntry = {
      name: decodeName(buf.subarray(off + 46, off + 46 + nameLen)),
      flags: buf.readUInt16LE(off + 8),
      method: buf.readUInt16LE(off + 10),
      crc: buf.readUInt32LE(off + 16),
      csize: buf.readUInt32LE(off + 20),
      usize: buf.readUInt32LE(off + 24),
      offset: buf.readUInt32LE(off + 42),
      mode: host === 3 || host === 19 ? buf.readUInt32LE(off + 38) >>> 16 : 0, // Unix, macOS
    };
    readZip64Extra(buf.subarray(off + 46 + nameLen, off + 46 + nameLen + extraLen), e);
    out.push(e);
    off += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Fields saturated at 0xffffffff live in the zip64 extra field, in this order. */
function readZip64Extra(extra: Buffer, e: ZipEntry): void {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let p = i + 4;
      const next = () => {
        if (p + 8 > i + 4 + len || p + 8 > extra.length) throw bad(`entry ${quote(e.name)}: truncated zip64 field`);
        const v = Number(extra.readBigUInt64LE(p));
        p += 8;
        return v;
      };
      if (e.usize === 0xffffffff) e.usize = next();
      if (e.csize === 0xffffffff) e.csize = next();
      if (e.offset === 0xffffffff) e.offset = next();
    }
    i += 4 + len;
  }
}

/** The entry's bytes, inflated piecewise; checks the declared size and CRC as it goes. */
function* contents(buf: Buffer, e: ZipEntry): Generator<Uint8Array> {
  const q = quote(e.name);
  if (e.offset + 30 > buf.length || buf.readUInt32LE(e.offset) !== 0x04034b50) throw bad(`entry ${q}: bad local header`);
  const start = e.offset + 30 + buf.readUInt16LE(e.offset + 26) + buf.readUInt16LE(e.offset + 28);
  const end = start + e.csize;
  if (end > buf.length) throw bad(`entry ${q}: data runs past the end of the archive`);
  let produced = 0;
  let crc = 0;
  const take = (d: Uint8Array) => {
    produced += d.length;
    if (produced > e.usize) throw unsafe(`entry ${q} inflates beyond its declared ${e.usize} bytes`);
    crc = crc32(d, crc);
  };
  if (e.method === 0) {
    if (e.csize !== e.usize) throw bad(`entry ${q}: stored entry with differing sizes`);
    for (let o = start; o < end; o += STORED_CHUNK) {
      const d = buf.subarray(o, Math.min(end, o + STORED_CHUNK));
      take(d);
      yield d;
    }
  } else if (e.method === 8) {
    const out: Uint8Array[] = [];
    const inflater = new Inflate((d) => {
      take(d);
      out.push(d);
    });
    for (let o = start; o < end || o === start; o += PUSH) {
      try {
        inflater.push(buf.subarray(o, Math.min(end, o + PUSH)), o + PUSH >= end);
      } catch (err) {
        if (isFizzError(err)) throw err;
        throw bad(`entry ${q}: ${(err as Error).message}`);
      }
      yield* out;
      out.length = 0;
    }
  } else {
    throw bad(`entry ${q} uses unsupported compression method ${e.method}`);
  }
  if (produced !== e.usize) throw bad(`entry ${q}: ${produced} bytes inflated, ${e.usize} declared`);
  if (crc !== e.crc) throw bad(`entry ${q}: CRC mismatch`);
}

export async function readZip(data: Uint8Array, sink: Sink): Promise<void> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const entries = centralDirectory(buf);
  // Refuse a bomb from its declared sizes before inflating anything.
  const { maxBytes, maxEntries } = sink.limits;
  if (entries.length > maxEntries) throw tooLarge(`archive has ${entries.length} entries, more than ${maxEntries}`);
  let declared = 0;
  for (const e of entries) {
    declared += e.usize;
    if (declared > maxBytes)
      throw tooLarge(`entry ${quote(e.name)} (${e.usize} bytes declared) takes the archive beyond the ${maxBytes}-byte limit`);
  }
  for (const e of entries) {
    if (e.flags & 1) throw bad(`entry ${quote(e.name)} is encrypted`);
    const type = e.mode & S_IFMT;
    if (type === S_IFLNK) {
      if (e.usize > 4096) throw unsafe(`symlink ${quote(e.name)} has an oversized target`);
      sink.symlink(e.name, Buffer.concat([...contents(buf, e)]).toString("utf8"));
    } else if (type === S_IFDIR || (type === 0 && e.name.endsWith("/"))) {
      await sink.dir(e.name, e.mode);
    } else if (type === S_IFREG || type === 0) {
      await sink.file(e.name, e.mode, e.usize, contents(buf, e));
    } else {
      throw unsafe(`entry ${quote(e.name)} is a device, FIFO or socket (mode ${e.mode.toString(8)})`);
    }
  }
}
