// `--code FILE`: the file, zipped under its own name, becomes a Package's deployment archive.
// Small archives travel inline in the resource; larger ones go to the storage service first, so
// resources (and every watch event carrying them) stay small.
import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ArchiveSchema, type Archive } from "@fizz/proto";
import { usage } from "./errors.js";

/** Archives up to this size are stored inline (type "literal"). */
export const LITERAL_LIMIT = 256 * 1024;

export interface CodeArchive {
  /** The zip's bytes. */
  zip: Buffer;
  /** The file's name inside the zip. */
  entry: string;
  /** Default entry point: the file's name without its extension (its default export). */
  functionName: string;
}

/** Zips one source file under its basename. */
export async function packageCode(file: string): Promise<CodeArchive> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usage(`--code ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, give a file" : (err as Error).message}`);
  }
  const entry = basename(file);
  const { zipFiles } = await import("@fizz/archive");
  return { zip: await zipFiles([{ name: entry, data }]), entry, functionName: entry.slice(0, entry.length - extname(entry).length) };
}

export const isLiteral = (size: number, limit = LITERAL_LIMIT) => size <= limit;

/** Uploads bytes, returning the storage id (injected so tests need no storage service). */
export type Uploader = (data: Uint8Array) => Promise<string>;

/** The deployment Archive for a zip: inline when small, else uploaded; sha256 always set. */
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
