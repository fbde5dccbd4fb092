// StorageService over any ArchiveBackend: the wire protocol (header first, then data; info
// first, then data), header validation and cancellation; the backend does the rest.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { FizzError, invalid } from "@fizz/common";
import { ArchiveInfoSchema, StorageService, type UploadChunk, type UploadHeader } from "@fizz/proto";
import type { ServiceImpl } from "@fizz/rpc";
import { checkArchiveId, SHA256_HEX, type ArchiveBackend, type StoredArchive } from "./backend.js";

/** The same scheme the clients library parses (storage://<id>). */
const urlOf = (id: string) => `storage://${id}`;

const toInfo = (a: StoredArchive): MessageInitShape<typeof ArchiveInfoSchema> => ({
  id: a.id,
  sha256: a.sha256,
  size: BigInt(a.size),
  url: urlOf(a.id),
});

/** next() that gives up when the call is cancelled, so an abandoned upload never hangs. */
function abortableNext<T>(it: AsyncIterator<T>, signal: AbortSignal): () => Promise<IteratorResult<T>> {
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new FizzError("CANCELLED", "upload cancelled by the client"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
  aborted.catch(() => {}); // observed through the race below
  return () => Promise.race([it.next(), aborted]);
}

function checkHeader(h: UploadHeader | undefined, maxBytes: number): { sha256?: string; size?: number } {
  if (!h) return {};
  const sha256 = h.sha256.toLowerCase();
  if (sha256 && !SHA256_HEX.test(sha256)) throw invalid(`upload header: sha256 must be 64 hex digits, got ${JSON.stringify(h.sha256)}`);
  if (h.size < 0n) throw invalid(`upload header: negative size ${h.size}`);
  if (h.size > BigInt(maxBytes))
    throw new FizzError("RESOURCE_EXHAUSTED", `archive exceeds the ${maxBytes}-byte limit (${h.size} bytes announced)`, "ARCHIVE_TOO_LARGE");
  return { sha256: sha256 || undefined, size: h.size > 0n ? Number(h.size) : undefined };
}

/** Archive bytes stored and served (metrics). */
export interface ByteCounters {
  stored(n: number): void;
  served(n: number): void;
}

export function storageImpl(backend: ArchiveBackend, maxBytes: number, bytes?: ByteCounters): ServiceImpl<(typeof StorageService)["method"]> {
  return {
    async upload(reqs, ctx) {
      const it = reqs[Symbol.asyncIterator]();
      const next = abortableNext(it, ctx.signal);
      const first = await next();
      const header = !first.done && first.value.part.case === "header" ? first.value.part.value : undefined;
      const expected = checkHeader(header, maxBytes);
      async function* data(): AsyncGenerator<Uint8Array> {
        let r: IteratorResult<UploadChunk> = header ? await next() : first;
        for (; !r.done; r = await next()) {
          const part = r.value.part;
          if (part.case === "header") throw invalid("upload: the header must be the first message, and only one");
          if (part.case === "data") yield part.value;
        }
      }
      const stored = await backend.put(data(), {
        maxBytes,
        expectedSha256: expected.sha256,
        expectedSize: expected.size,
        signal: ctx.signal,
      });
      bytes?.stored(stored.size);
      return toInfo(stored);
    },

    async *download(req) {
      checkArchiveId(req.id);
      const { info, chunks } = await backend.get(req.id);
      yield { part: { case: "info", value: toInfo(info) } };
      for await (const c of chunks) {
        bytes?.served(c.length);
        yield { part: { case: "data", value: c } };
      }
    },

    async stat(req) {
      checkArchiveId(req.id);
      return toInfo(await backend.stat(req.id));
    },

    async delete(req) {
      checkArchiveId(req.id);
      await backend.delete(req.id);
      return {};
    },
  };
}
