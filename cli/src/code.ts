// Turning what the user points at into a Package archive, shared by --code, --src and --deploy:
// a directory is zipped (paths relative to it), an existing zip or tar.gz is sent as it is, any
// other single file is zipped under its own name. Small archives travel inline in the resource;
// larger ones go to the storage service first, so resources (and every watch event carrying
// them) stay small.
import { readFile, stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ArchiveSchema, type Archive } from "@fizz/proto";
import { usage } from "./errors.js";

/** Archives up to this size are stored inline (type "literal"). */
export const LITERAL_LIMIT = 256 * 1024;

export type PackagedFrom = "directory" | "archive" | "file";

export interface PackagedPath {
  /** The archive's bytes (zip, or the user's own zip / tar.gz / tar). */
  zip: Buffer;
  /** What the path was. */
  from: PackagedFrom;
  /** Format of the bytes, from their magic numbers. */
  format: "zip" | "tar.gz" | "tar";
  /** For a single file: its name inside the zip, and the default entry point (name without extension). */
  entry?: string;
  functionName?: string;
}

export interface PackageOptions {
  /** The flag the path came from, for messages ("--src"). */
  flag?: string;
  /** Accept a directory (zipped). --code does not. */
  directories?: boolean;
  /** Send an existing zip / tar.gz / tar as it is (else it is zipped like any file). */
  archives?: boolean;
}

/** Names never worth shipping from a directory. */
const SKIPPED = new Set([".git", ".DS_Store"]);

/** Packages a directory, an archive or a single file as described above. */
export async function packagePath(path: string, opts: PackageOptions = {}): Promise<PackagedPath> {
  const flag = opts.flag ?? "--src";
  const fail = (why: string) => usage(`${flag} ${path}: ${why}`);
  let isDir: boolean;
  try {
    const st = await stat(path);
    isDir = st.isDirectory();
    if (!isDir && !st.isFile()) throw fail("is neither a file nor a directory");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw fail("no such file or directory");
    if (code) throw fail(code === "EACCES" ? "permission denied" : (err as Error).message);
    throw err;
  }
  const archive = await import("@fizz/archive");
  if (isDir) {
    if (!opts.directories) throw fail("is a directory, give a file");
    const zip = await archive.zipDirectory(path, { include: (rel) => !SKIPPED.has(basename(rel)) });
    return { zip, from: "directory", format: "zip" };
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  const format = archive.detectFormat(data);
  if (opts.archives && format !== "file") return { zip: data, from: "archive", format };
  const entry = basename(path);
  return {
    zip: await archive.zipFiles([{ name: entry, data, mode: looksExecutable(data) ? 0o755 : 0o644 }]),
    from: "file",
    format: "zip",
    entry,
    functionName: entry.slice(0, entry.length - extname(entry).length),
  };
}

// A script zipped on its own keeps being runnable (exec functions, build.sh).
const looksExecutable = (b: Uint8Array) => b[0] === 0x23 && b[1] === 0x21;

export interface CodeArchive {
  zip: Buffer;
  entry: string;
  functionName: string;
}

/** `--code FILE`: always one file, zipped under its basename (even when it is itself a zip). */
export async function packageCode(file: string): Promise<CodeArchive> {
  const p = await packagePath(file, { flag: "--code" });
  return { zip: p.zip, entry: p.entry!, functionName: p.functionName! };
}

/** --src and --deploy: a directory, an archive or a file. */
export const packageSource = (path: string, flag: "--src" | "--deploy") => packagePath(path, { flag, directories: true, archives: true });

export const isLiteral = (size: number, limit = LITERAL_LIMIT) => size <= limit;

/** Uploads bytes, returning the storage id (injected so tests need no storage service). */
export type Uploader = (data: Uint8Array) => Promise<string>;

/** The Archive for some bytes: inline when small, else uploaded; sha256 always set. */
export async function toArchive(zip: Uint8Array, upload: Uploader, limit = LITERAL_LIMIT): Promise<Archive> {
  // Loaded here: the storage client module pulls in grpc-js, which `fizz --help` does not need.
  const { sha256Hex, storageUrl } = await import("@fizz/clients/storage");
  const checksum = { type: "sha256", sum: sha256Hex(zip) };
  if (isLiteral(zip.length, limit)) return create(ArchiveSchema, { type: "literal", literal: zip, checksum });
  return create(ArchiveSchema, { type: "url", url: storageUrl(await upload(zip)), checksum });
}

/** An uploader that talks to the storage service (FIZZ_STORAGE). */
export async function storageUploader(): Promise<Uploader> {
  const { storageApi } = await import("./context.js");
  const { uploadArchive } = await import("@fizz/clients/storage");
  return async (data) => (await uploadArchive(await storageApi(), data)).id;
}

/** An uploader that connects to storage only when something is large enough to need it. */
export const lazyUploader: Uploader = async (data) => (await storageUploader())(data);
