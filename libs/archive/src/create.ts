import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { zipSync, type Zippable, type ZipOptions } from "fflate";
import { pack as tarPack, type Header } from "tar-stream";
import { safeRelativePath } from "./paths.js";

export interface ZipInput {
  /** Path inside the archive ("dir/file.js"); a trailing "/" makes a directory. */
  name: string;
  data?: Uint8Array | string;
  /** Read the content from this file instead of `data`. */
  path?: string;
  /** Unix permission bits (default 0644, 0755 for directories). */
  mode?: number;
}

export interface DirectoryOptions {
  /** Keep an entry? `rel` is its POSIX path relative to the directory. Skipped directories are not descended. */
  include?: (rel: string, isDirectory: boolean) => boolean;
}

type Kind = "file" | "directory" | "symlink";
interface Item {
  rel: string;
  kind: Kind;
  mode: number;
  data: Uint8Array;
  target?: string;
}

// Fixed timestamps, sorted entries, no owners: the same content always gives the same bytes
// (and sha256). The zip date is built from local fields because DOS times are local.
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const TAR_MTIME = new Date(0);
const TYPE_BITS: Record<Kind, number> = { file: 0o100000, directory: 0o040000, symlink: 0o120000 };

const byName = (a: Item, b: Item) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);

async function walk(dir: string, opts: DirectoryOptions, prefix = "", out: Item[] = []): Promise<Item[]> {
  const names = (await readdir(join(dir, prefix))).sort();
  for (const name of names) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const abs = join(dir, rel);
    const st = await lstat(abs);
    if (st.isDirectory()) {
      if (opts.include && !opts.include(rel, true)) continue;
      out.push({ rel, kind: "directory", mode: st.mode & 0o777, data: new Uint8Array(0) });
      await walk(dir, opts, rel, out);
    } else if (st.isFile() || st.isSymbolicLink()) {
      if (opts.include && !opts.include(rel, false)) continue;
      if (st.isFile()) out.push({ rel, kind: "file", mode: st.mode & 0o777, data: await readFile(abs) });
      else out.push({ rel, kind: "symlink", mode: 0o777, data: new Uint8Array(0), target: await readlink(abs) });
    }
    // sockets, FIFOs and devices are never archived
  }
  return out;
}

async function inputsToItems(files: ZipInput[]): Promise<Item[]> {
  const items: Item[] = [];
  for (const f of files) {
    const dir = f.name.endsWith("/");
    const rel = safeRelativePath(f.name);
    const data = f.path !== undefined ? await readFile(f.path) : typeof f.data === "string" ? Buffer.from(f.data) : (f.data ?? new Uint8Array(0));
    items.push({ rel, kind: dir ? "directory" : "file", mode: f.mode ?? (dir ? 0o755 : 0o644), data });
  }
  return items;
}

function zipItems(items: Item[]): Buffer {
  const files: Zippable = {};
  for (const it of items.sort(byName)) {
    const name = it.kind === "directory" ? `${it.rel}/` : it.rel;
    const data = it.kind === "symlink" ? Buffer.from(it.target ?? "") : it.data;
    const attrs: ZipOptions = { mtime: ZIP_MTIME, os: 3, attrs: ((TYPE_BITS[it.kind] | it.mode) << 16) >>> 0 };
    files[name] = [data, attrs];
  }
  return Buffer.from(zipSync(files, { level: 6 }));
}

/** A deterministic zip of named contents (files or directories). */
export async function zipFiles(files: ZipInput[]): Promise<Buffer> {
  return zipItems(await inputsToItems(files));
}

/** A deterministic zip of a directory tree; symlinks are kept as symlinks. */
export async function zipDirectory(dir: string, opts: DirectoryOptions = {}): Promise<Buffer> {
  return zipItems(await walk(dir, opts));
}

/** A deterministic tar.gz of a directory tree; symlinks are kept as symlinks. */
export async function tarGzDirectory(dir: string, opts: DirectoryOptions = {}): Promise<Buffer> {
  const items = (await walk(dir, opts)).sort(byName);
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const it of items) {
    const header: Partial<Header> & Pick<Header, "name"> = {
      name: it.kind === "directory" ? `${it.rel}/` : it.rel,
      type: it.kind,
      mode: it.mode,
      mtime: TAR_MTIME,
      uid: 0,
      gid: 0,
      size: it.kind === "file" ? it.data.length : 0,
      ...(it.kind === "symlink" ? { linkname: it.target ?? "" } : {}),
    };
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, it.kind === "file" ? it.data : Buffer.alloc(0), (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await collected;
  return gzipSync(Buffer.concat(chunks));
}
