import { createHash } from "node:crypto";
import { StorageService, type ArchiveInfo } from "@fizz/proto";
import { createClient, type Client } from "@fizz/rpc";
import { FizzError, serviceAddress } from "@fizz/common";

export type StorageClient = Client<(typeof StorageService)["method"]>;

export function storageClient(address = serviceAddress("storage")): StorageClient {
  return createClient(StorageService, address);
}

const CHUNK = 256 * 1024;

/** URL scheme the platform uses for archives held by the storage service. */
export const STORAGE_URL_PREFIX = "storage://";

export const storageUrl = (id: string) => `${STORAGE_URL_PREFIX}${id}`;

export function storageIdOf(url: string): string | undefined {
  return url.startsWith(STORAGE_URL_PREFIX) ? url.slice(STORAGE_URL_PREFIX.length) : undefined;
}

export const sha256Hex = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Uploads bytes in chunks; the server verifies the sha256 we computed. */
export async function uploadArchive(client: StorageClient, data: Uint8Array): Promise<ArchiveInfo> {
  const sha256 = sha256Hex(data);
  function* chunks() {
    yield { part: { case: "header" as const, value: { sha256, size: BigInt(data.length) } } };
    for (let off = 0; off < data.length; off += CHUNK)
      yield { part: { case: "data" as const, value: data.subarray(off, off + CHUNK) } };
  }
  return client.upload(chunks(), { timeoutMs: 120_000 });
}

/** Downloads a whole archive and checks its sha256 against what storage recorded. */
export async function downloadArchive(client: StorageClient, id: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  let info: ArchiveInfo | undefined;
  const tooLarge = () => new FizzError("RESOURCE_EXHAUSTED", `archive ${id} is larger than ${opts.maxBytes} bytes`);
  for await (const c of client.download({ id }, { timeoutMs: 120_000 })) {
    if (c.part.case === "info") {
      info = c.part.value;
      // The server announces the size first: refuse before transferring anything.
      if (opts.maxBytes && info.size > BigInt(opts.maxBytes)) throw tooLarge();
    } else if (c.part.case === "data") {
      size += c.part.value.length;
      if (opts.maxBytes && size > opts.maxBytes) throw tooLarge();
      parts.push(Buffer.from(c.part.value));
    }
  }
  const data = Buffer.concat(parts);
  if (info && info.size !== BigInt(data.length))
    throw new FizzError("DATA_LOSS", `archive ${id}: received ${data.length} bytes, storage recorded ${info.size}`);
  if (info?.sha256 && sha256Hex(data) !== info.sha256)
    throw new FizzError("DATA_LOSS", `archive ${id}: checksum mismatch after download`);
  return data;
}
