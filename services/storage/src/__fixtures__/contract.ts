// The behaviour every ArchiveBackend promises, as one suite each backend's test file runs.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { FizzError } from "@fizz/common";
import type { ArchiveBackend, PutOptions } from "../backend.js";

export interface BackendHarness {
  /** Opened, on an empty store. */
  backend: ArchiveBackend;
  /** Every name the store holds (files, objects, temp ones included): to prove nothing is left behind. */
  names(): Promise<string[]>;
  /** Replaces an archive's content at rest, keeping what was recorded about it. */
  corrupt(id: string, content: Uint8Array): Promise<void>;
  /** A second backend instance on the same store, opened (as after a restart). */
  reopen(): Promise<ArchiveBackend>;
  /** A size that takes the backend's large-archive path (several parts, for S3). */
  largeSize: number;
  cleanup(): Promise<void>;
}

export async function* chunks(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === "string" ? Buffer.from(p) : p;
}

/** Splits data into 256 KiB chunks, as the gRPC layer delivers it. */
export async function* chunked(data: Uint8Array, size = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
}

export const failure = (p: Promise<unknown>) =>
  p.then(
    () => Promise.reject(new Error("expected a failure")),
    (e: unknown) => e as FizzError,
  );

const sha = (d: Uint8Array) => createHash("sha256").update(d).digest("hex");

async function readAll(backend: ArchiveBackend, id: string): Promise<{ data: Buffer; sizes: number[] }> {
  const { chunks: it } = await backend.get(id);
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return { data: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
}

export function backendContract(name: string, make: () => Promise<BackendHarness>): void {
  describe(`${name} (ArchiveBackend contract)`, () => {
    let h: BackendHarness;
    let b: ArchiveBackend;
    beforeEach(async () => {
      h = await make();
      b = h.backend;
    });
    afterEach(() => h.cleanup());

    it("stores, stats, lists and reads back archives", async () => {
      const started = Date.now();
      const a = await b.put(chunks("ab", "c"), { maxBytes: 100 });
      const c = await b.put(chunks("xyz"), { maxBytes: 100, expectedSize: 3, expectedSha256: sha(Buffer.from("xyz")) });
      expect(a).toMatchObject({ size: 3, sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" });
      expect(Date.parse(a.created)).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
      expect(await b.stat(a.id)).toEqual(a);
      expect((await b.list!()).map((x) => x.id)).toEqual([a.id, c.id].sort());
      expect((await readAll(b, c.id)).data.toString()).toBe("xyz");
    });

    it("round-trips a large archive with and without announced sha256 and size, in chunks of at most 256 KiB", async () => {
      const data = randomBytes(h.largeSize);
      const announced: PutOptions = { maxBytes: h.largeSize, expectedSha256: sha(data), expectedSize: data.length };
      for (const opts of [announced, { maxBytes: h.largeSize }]) {
        const info = await b.put(chunked(data, 100_000), opts);
        expect(info).toMatchObject({ size: data.length, sha256: sha(data) });
        expect(await b.stat(info.id)).toEqual(info);
        const { data: back, sizes } = await readAll(b, info.id);
        expect(back.equals(data)).toBe(true);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024);
      }
      expect((await b.list!()).length).toBe(2);
    });

    it("an empty archive is valid", async () => {
      const info = await b.put(chunks(), { maxBytes: 10 });
      expect(info.size).toBe(0);
      expect((await readAll(b, info.id)).data.length).toBe(0);
    });

    it("keeps nothing when the content does not match the announced sha256 or size", async () => {
      const before = await h.names();
      const big = randomBytes(h.largeSize);
      for (const data of [Buffer.from("something else"), big]) {
        const err = await failure(b.put(chunked(data), { maxBytes: h.largeSize, expectedSha256: sha(Buffer.from("expected")), expectedSize: data.length }));
        expect(err.code).toBe("DATA_LOSS");
        expect(err.message).toContain("checksum mismatch");
      }
      const size = await failure(b.put(chunked(big), { maxBytes: h.largeSize, expectedSize: big.length + 1 }));
      expect(size.code).toBe("DATA_LOSS");
      expect(size.message).toContain(`received ${big.length} bytes, expected ${big.length + 1}`);
      expect(await h.names()).toEqual(before);
      expect(await b.list!()).toEqual([]);
    });

    it("enforces the size limit while streaming, keeping nothing", async () => {
      const limit = h.largeSize - 1;
      let pulled = 0;
      async function* endless() {
        for (;;) {
          pulled++;
          yield new Uint8Array(256 * 1024);
        }
      }
      const err = await failure(b.put(endless(), { maxBytes: limit }));
      expect(err.code).toBe("RESOURCE_EXHAUSTED");
      expect(err.message).toContain(`archive exceeds the ${limit}-byte limit`);
      expect(pulled).toBe(Math.floor(limit / (256 * 1024)) + 1); // stopped at the first chunk over
      const small = await failure(b.put(chunks("123456"), { maxBytes: 5 }));
      expect(small.code).toBe("RESOURCE_EXHAUSTED");
      expect(await h.names()).toEqual([]);
    });

    it("keeps nothing when the writer is aborted midway", async () => {
      const ac = new AbortController();
      const large = h.largeSize;
      async function* slow() {
        yield* chunked(randomBytes(large - 10)); // past the first part, for S3
        ac.abort();
        yield Buffer.from("second");
      }
      const err = await failure(b.put(slow(), { maxBytes: large, signal: ac.signal }));
      expect(err.code).toBe("CANCELLED");
      expect(await h.names()).toEqual([]);
    });

    it("answers NOT_FOUND for unknown ids and INVALID_ARGUMENT for malformed ones", async () => {
      const unknown = randomUUID();
      for (const call of [b.get(unknown), b.stat(unknown), b.delete(unknown)]) {
        const err = await failure(call);
        expect(err.code).toBe("NOT_FOUND");
        expect(err.message).toBe(`archive ${unknown} not found`);
      }
      for (const id of ["../x", "", `${unknown}.json`, unknown.toUpperCase(), `archives/${unknown}`]) {
        for (const call of [b.get(id), b.stat(id), b.delete(id)]) expect((await failure(call)).code).toBe("INVALID_ARGUMENT");
      }
    });

    it("detects content corrupted at rest: on read (same size) and on stat (other size)", async () => {
      const data = randomBytes(600 * 1024);
      const { id } = await b.put(chunked(data), { maxBytes: data.length });
      const flipped = Buffer.from(data);
      flipped[300 * 1024] = flipped[300 * 1024]! ^ 0xff;
      await h.corrupt(id, flipped);
      const reader = await b.get(id); // the sha256 is only known at the end of the stream
      const err = await failure(
        (async () => {
          for await (const _ of reader.chunks);
        })(),
      );
      expect(err.code).toBe("DATA_LOSS");
      expect(err.message).toContain(`archive ${id} is corrupt`);

      await h.corrupt(id, data.subarray(0, 10));
      const short = await failure(b.stat(id));
      expect(short.code).toBe("DATA_LOSS");
      expect(short.message).toMatch(new RegExp(`archive ${id} is corrupt: 10 bytes`));
    });

    it("deletes; a reader never consumed holds nothing that stops it", async () => {
      const a = await b.put(chunks("data"), { maxBytes: 100 });
      const keep = await b.put(chunks("keep"), { maxBytes: 100 });
      await b.get(a.id);
      await b.delete(a.id);
      expect((await failure(b.stat(a.id))).code).toBe("NOT_FOUND");
      expect((await failure(b.get(a.id))).code).toBe("NOT_FOUND");
      expect((await b.list!()).map((x) => x.id)).toEqual([keep.id]);
      expect((await h.names()).some((n) => n.includes(a.id))).toBe(false);
    });

    it("keeps archives across a reopen", async () => {
      const data = randomBytes(300 * 1024);
      const info = await b.put(chunked(data), { maxBytes: data.length });
      const again = await h.reopen();
      expect(await again.stat(info.id)).toEqual(info);
      expect((await readAll(again, info.id)).data.equals(data)).toBe(true);
    });
  });
}
