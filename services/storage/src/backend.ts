// The contract every archive store implements (local filesystem, S3/MinIO), so the
// RPC layer and its tests do not care where the bytes live.
import { invalid } from "@fizz/common";

export interface StoredArchive {
  /** Random UUID assigned by the backend. */
  id: string;
  /** Lower-case hex sha256 of the content. */
  sha256: string;
  size: number;
  /** ISO-8601 creation time. */
  created: string;
}

export interface PutOptions {
  /** The content must hash to this (lower-case hex), else DATA_LOSS and nothing is kept. */
  expectedSha256?: string;
  /** The content must be exactly this long, else DATA_LOSS and nothing is kept. */
  expectedSize?: number;
  /** Larger content fails with RESOURCE_EXHAUSTED as soon as the limit is crossed. */
  maxBytes: number;
  /** Aborts the write (client went away); nothing is kept. */
  signal?: AbortSignal;
}

export interface ArchiveReader {
  info: StoredArchive;
  /**
   * The content in chunks. Fails with DATA_LOSS at the end when what was read no longer
   * matches the recorded sha256 and size (corruption at rest).
   */
  chunks: AsyncIterable<Uint8Array>;
}

export interface ArchiveBackend {
  /** Prepares the store (directories, recovery after a crash). */
  open(): Promise<void>;
  /** Stores a new archive from chunks, atomically: it exists complete and verified, or not at all. */
  put(data: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoredArchive>;
  /** NOT_FOUND for an unknown id, INVALID_ARGUMENT for a malformed one. */
  get(id: string): Promise<ArchiveReader>;
  stat(id: string): Promise<StoredArchive>;
  delete(id: string): Promise<void>;
  list?(): Promise<StoredArchive[]>;
  close?(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids become file and object names: only canonical UUIDs get that far. */
export function checkArchiveId(id: string): void {
  if (!UUID.test(id)) throw invalid(`invalid archive id ${JSON.stringify(id)}: expected a UUID`, "INVALID_ARCHIVE_ID");
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
