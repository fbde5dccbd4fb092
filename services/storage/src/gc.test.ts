import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@fizz/common";
import { Kind } from "@fizz/proto";
import { adminClient, metaOf, storageClient, storageUrl, uploadArchive, type AdminClient } from "@fizz/clients";
import { Controller, configSchema as controllerSchema } from "@fizz/controller";
import { chunks, failure } from "./__fixtures__/contract.js";
import { configSchema } from "./config.js";
import { FsBackend } from "./fs-backend.js";
import { ArchiveGc } from "./gc.js";
import { StorageService } from "./storage.js";

const GRACE = 60_000;
let dir: string;
let controller: Controller;
let admin: AdminClient;
let backend: FsBackend;
let clock: number;
const gcs: ArchiveGc[] = [];

async function startController() {
  controller = new Controller(loadConfig(controllerSchema, { FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STATE_DIR: join(dir, "controller") }, "controller"));
  await controller.start();
  admin = adminClient(controller.address!);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fizz-gc-"));
  await startController();
});
afterAll(async () => {
  admin.close();
  await controller.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  backend = new FsBackend(await mkdtemp(join(dir, "store-")));
  await backend.open();
  clock = Date.now();
});
afterEach(async () => {
  await Promise.all(gcs.splice(0).map((g) => g.stop()));
  for (const r of (await admin.list({ kind: Kind.PACKAGE })).items) await admin.delete({ kind: Kind.PACKAGE, name: metaOf(r).name });
});

/** A collector on a clock the test moves (archives are created at real time, now). */
async function collector(client: AdminClient = admin, opts: { synced?: boolean } = { synced: true }): Promise<ArchiveGc> {
  const gc = new ArchiveGc(backend, client, { graceMs: GRACE, intervalMs: 0, now: () => clock });
  gcs.push(gc);
  gc.start();
  if (opts.synced) await gc.ready();
  return gc;
}

const pkgSpec = (refs: { source?: string; deployment?: string }) => ({
  environment: { name: "node" },
  ...(refs.source ? { source: { type: "url", url: storageUrl(refs.source) } } : {}),
  ...(refs.deployment ? { deployment: { type: "url", url: storageUrl(refs.deployment) } } : {}),
});

const createPkg = (name: string, refs: { source?: string; deployment?: string }) =>
  admin.create({ resource: { kind: { case: "package", value: { metadata: { name }, spec: pkgSpec(refs) } } } });

const put = async (text = "archive") => (await backend.put(chunks(text), { maxBytes: 1000 })).id;
const ids = async () => (await backend.list()).map((a) => a.id).sort();

async function eventually(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("archive garbage collection", () => {
  it("removes unreferenced archives older than the grace; keeps those a package's source or deployment points at", async () => {
    const [lone, deployed, source] = [await put(), await put(), await put()];
    await createPkg("app", { deployment: deployed, source });
    const gc = await collector();
    expect(await gc.runOnce()).toEqual([]); // all fresh
    clock += GRACE + 1000;
    expect(await gc.runOnce()).toEqual([lone]);
    expect(await ids()).toEqual([deployed, source].sort());
    expect((await failure(backend.stat(lone))).code).toBe("NOT_FOUND");
  });

  it("keeps a fresh unreferenced archive (its package may not exist yet) until the grace passes", async () => {
    const gc = await collector();
    const id = await put();
    clock += GRACE / 2;
    expect(await gc.runOnce()).toEqual([]);
    clock += GRACE / 2 + 1000;
    expect(await gc.runOnce()).toEqual([id]);
  });

  it("a deleted package's archive goes once the grace has passed since it was last referenced", async () => {
    const id = await put();
    await createPkg("app", { deployment: id });
    const gc = await collector();
    clock += 2 * GRACE; // old, but referenced
    expect(await gc.runOnce()).toEqual([]);
    await admin.delete({ kind: Kind.PACKAGE, name: "app" });
    clock += GRACE / 2;
    expect(await gc.runOnce()).toEqual([]);
    clock += GRACE / 2 + 1000;
    expect(await gc.runOnce()).toEqual([id]);
  });

  it("a reference seen only between passes (package moved to another archive) still restarts the grace", async () => {
    const [before, after] = [await put("v1"), await put("v2")];
    const gc = await collector();
    clock += 2 * GRACE; // both old; no pass has run
    await createPkg("app", { deployment: before });
    await admin.update({ resource: { kind: { case: "package", value: { metadata: { name: "app" }, spec: pkgSpec({ deployment: after }) } } } });
    await eventually(() => gc.referencedAt(before) === clock);
    expect(await gc.runOnce()).toEqual([]);
    clock += GRACE + 1000;
    expect(await gc.runOnce()).toEqual([before]);
  });

  it("removes nothing while the controller cannot be reached: never synced, or gone after syncing", async () => {
    const id = await put();
    const nowhere = adminClient("127.0.0.1:1");
    const unsynced = await collector(nowhere, { synced: false });
    clock += 10 * GRACE;
    expect(await unsynced.runOnce()).toEqual([]);
    nowhere.close();

    const gc = await collector();
    admin.close();
    await controller.stop();
    try {
      expect(await gc.runOnce()).toEqual([]);
      expect(await ids()).toEqual([id]);
    } finally {
      await startController();
    }
  });
});

describe("StorageService with gc", () => {
  it("collects on its own interval, keeping referenced archives", async () => {
    const env = {
      FIZZ_STORAGE: "127.0.0.1:0",
      FIZZ_ADMIN: controller.address!,
      FIZZ_STATE_DIR: await mkdtemp(join(dir, "svc-")),
      FIZZ_STORAGE_GC_GRACE_MS: "300",
      FIZZ_STORAGE_GC_INTERVAL_MS: "100",
    };
    const svc = new StorageService(loadConfig(configSchema, env, "storage"));
    await svc.start();
    const client = storageClient(svc.address!);
    try {
      const kept = await uploadArchive(client, Buffer.from("kept"));
      const dropped = await uploadArchive(client, Buffer.from("dropped"));
      await createPkg("app", { deployment: kept.id });
      await eventually(() => client.stat({ id: dropped.id }).then(() => false, (e: { code?: string }) => e.code === "NOT_FOUND"));
      expect((await client.stat({ id: kept.id })).id).toBe(kept.id);
    } finally {
      client.close();
      await svc.stop();
    }
  });
});
