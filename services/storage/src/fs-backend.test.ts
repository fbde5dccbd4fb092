import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FizzError } from "@fizz/common";
import { FsBackend } from "./fs-backend.js";

let dir: string;
let backend: FsBackend;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "fizz-fsb-")), "storage");
  backend = new FsBackend(dir);
  await backend.open();
});
afterEach(() => rm(join(dir, ".."), { recursive: true, force: true }));

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

const failure = (p: Promise<unknown>) => p.then(() => Promise.reject(new Error("expected a failure")), (e: unknown) => e as FizzError);

describe("FsBackend", () => {
  it("writes content and a sidecar, and lists archives", async () => {
    const a = await backend.put(chunks("ab", "c"), { maxBytes: 100 });
    const b = await backend.put(chunks("xyz"), { maxBytes: 100, expectedSize: 3 });
    expect(a).toMatchObject({ size: 3, sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" });
    expect((await readdir(dir)).sort()).toEqual([a.id, `${a.id}.json`, b.id, `${b.id}.json`].sort());
    expect((await backend.list()).map((x) => x.id)).toEqual([a.id, b.id].sort());
    expect(await backend.stat(a.id)).toEqual(a);
  });

  it("keeps nothing when the writer is aborted midway", async () => {
    const ac = new AbortController();
    async function* slow() {
      yield Buffer.from("first");
      ac.abort();
      yield Buffer.from("second");
    }
    const err = await failure(backend.put(slow(), { maxBytes: 100, signal: ac.signal }));
    expect(err.code).toBe("CANCELLED");
    expect(await readdir(dir)).toEqual([]);
  });

  it("clears leftovers of an interrupted upload when opened", async () => {
    const kept = await backend.put(chunks("kept"), { maxBytes: 100 });
    const orphan = randomUUID();
    await writeFile(join(dir, `.tmp-${randomUUID()}`), "partial");
    await writeFile(join(dir, orphan), "content whose sidecar never got written");
    await new FsBackend(dir).open();
    expect((await readdir(dir)).sort()).toEqual([kept.id, `${kept.id}.json`].sort());
  });

  it("reports missing content and unreadable metadata as DATA_LOSS", async () => {
    const a = await backend.put(chunks("data"), { maxBytes: 100 });
    await rm(join(dir, a.id));
    expect((await failure(backend.get(a.id))).code).toBe("DATA_LOSS");
    const b = await backend.put(chunks("data"), { maxBytes: 100 });
    await writeFile(join(dir, `${b.id}.json`), "{not json");
    expect((await failure(backend.stat(b.id))).code).toBe("DATA_LOSS");
    // list reads sidecars only: the unreadable one is left out
    expect((await backend.list()).map((x) => x.id)).toEqual([a.id]);
  });

  it("a reader that is never consumed holds nothing open; delete still works", async () => {
    const a = await backend.put(chunks("data"), { maxBytes: 100 });
    await backend.get(a.id);
    await backend.delete(a.id);
    expect(await readdir(dir)).toEqual([]);
  });
});
