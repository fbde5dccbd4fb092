import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendContract, chunks, failure } from "./__fixtures__/contract.js";
import { FsBackend } from "./fs-backend.js";

async function tempStore() {
  const dir = join(await mkdtemp(join(tmpdir(), "fizz-fsb-")), "storage");
  const backend = new FsBackend(dir);
  await backend.open();
  return { dir, backend, cleanup: () => rm(join(dir, ".."), { recursive: true, force: true }) };
}

backendContract("FsBackend", async () => {
  const { dir, backend, cleanup } = await tempStore();
  return {
    backend,
    names: async () => (await readdir(dir)).sort(),
    corrupt: (id, content) => writeFile(join(dir, id), content),
    reopen: async () => {
      const again = new FsBackend(dir);
      await again.open();
      return again;
    },
    largeSize: 1024 * 1024 + 7,
    cleanup,
  };
});

describe("FsBackend on disk", () => {
  let dir: string;
  let backend: FsBackend;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, backend, cleanup } = await tempStore()));
  afterEach(() => cleanup());

  it("writes content and a sidecar per archive", async () => {
    const a = await backend.put(chunks("ab", "c"), { maxBytes: 100 });
    const b = await backend.put(chunks("xyz"), { maxBytes: 100 });
    expect((await readdir(dir)).sort()).toEqual([a.id, `${a.id}.json`, b.id, `${b.id}.json`].sort());
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
});
