import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { detectFormat, type ArchiveFormat } from "./detect.js";
import { Sink } from "./sink.js";
import { readTar } from "./tar.js";
import { readZip } from "./zip.js";

export interface ExtractOptions {
  /** Total uncompressed bytes allowed (default 256 MiB). */
  maxBytes?: number;
  /** Entries allowed, directories and links included (default 100 000). */
  maxEntries?: number;
  /** File name for a plain, non-archive buffer (default "user", as Fission names it). */
  fileName?: string;
}

export interface ExtractResult {
  format: ArchiveFormat;
  entries: number;
  /** Uncompressed bytes written. */
  bytes: number;
}

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_ENTRIES = 100_000;

// A script or binary delivered as a single file is meant to run (exec environments).
const looksExecutable = (buf: Uint8Array) =>
  (buf[0] === 0x23 && buf[1] === 0x21) || (buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46);

/**
 * Unpacks a zip, tar.gz or tar (or writes a plain buffer as one file) into destDir, refusing
 * anything that could escape it or exhaust the disk. The archive is extracted into a temporary
 * directory beside destDir and renamed into place, so a failure leaves nothing behind and
 * readers never see a half-written tree. An existing destDir is replaced as a whole.
 */
export async function extractArchive(buf: Uint8Array, destDir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const format = detectFormat(buf);
  const dest = resolve(destDir);
  const parent = dirname(dest);
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(join(parent, `.${basename(dest)}.extract-`));
  try {
    const sink = new Sink(tmp, {
      maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
      maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
    });
    if (format === "zip") await readZip(buf, sink);
    else if (format === "tar.gz" || format === "tar") await readTar(buf, format === "tar.gz", sink);
    else await sink.file(opts.fileName ?? "user", looksExecutable(buf) ? 0o755 : 0o644, buf.length, [buf]);
    await sink.finish();
    await chmod(tmp, 0o755); // mkdtemp makes it 0700
    await moveInto(tmp, dest);
    return { format, entries: sink.entries, bytes: sink.bytes };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Renames the finished tree into place, replacing whatever is there. */
async function moveInto(tmp: string, dest: string): Promise<void> {
  try {
    await rename(tmp, dest); // also replaces an empty directory
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOTDIR" && code !== "EISDIR") throw err;
  }
  const old = `${tmp}.old`;
  await rename(dest, old);
  try {
    await rename(tmp, dest);
  } catch (err) {
    await rename(old, dest).catch(() => {});
    throw err;
  }
  await rm(old, { recursive: true, force: true });
}
