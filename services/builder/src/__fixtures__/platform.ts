// A real controller + storage on ephemeral ports with a temp state dir, and builders started
// against them, for tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { loadConfig } from "@fizz/common";
import { zipFiles } from "@fizz/archive";
import { adminClient, downloadArchive, storageClient, storageIdOf, type AdminClient, type StorageClient } from "@fizz/clients";
import { Controller, configSchema as controllerSchema } from "@fizz/controller";
import { StorageService as Storage, configSchema as storageSchema } from "@fizz/storage";
import { Kind, type Package } from "@fizz/proto";
import { Builder } from "../builder.js";
import { configSchema } from "../config.js";

export interface Platform {
  stateDir: string;
  controller: Controller;
  storage: Storage;
  admin: AdminClient;
  store: StorageClient;
  /** Starts a builder on this platform (stop it before starting another). */
  startBuilder(env?: Record<string, string>): Promise<Builder>;
  close(): Promise<void>;
}

export async function startPlatform(): Promise<Platform> {
  const stateDir = await mkdtemp(join(tmpdir(), "fizz-builder-"));
  const controller = new Controller(loadConfig(controllerSchema, { FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STATE_DIR: stateDir }, "controller"));
  await controller.start();
  const storage = new Storage(loadConfig(storageSchema, { FIZZ_STORAGE: "127.0.0.1:0", FIZZ_STATE_DIR: stateDir, FIZZ_ADMIN: controller.address }, "storage"));
  await storage.start();
  const admin = adminClient(controller.address!);
  const store = storageClient(storage.address!);
  const builders: Builder[] = [];
  return {
    stateDir,
    controller,
    storage,
    admin,
    store,
    async startBuilder(env = {}) {
      const b = new Builder(
        loadConfig(
          configSchema,
          { FIZZ_BUILDER: "127.0.0.1:0", FIZZ_ADMIN: controller.address, FIZZ_STORAGE: storage.address, FIZZ_STATE_DIR: stateDir, ...env },
          "builder",
        ),
      );
      await b.start();
      builders.push(b);
      return b;
    },
    async close() {
      for (const b of builders) await b.stop();
      admin.close();
      store.close();
      await storage.stop();
      await controller.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export async function createEnv(admin: AdminClient, name: string, spec: Record<string, unknown> = { runtime: { image: "nodejs" } }) {
  await admin.create({ resource: { kind: { case: "environment", value: { metadata: { name }, spec: { version: 2, poolsize: 0, ...spec } } } } } as never);
}

export const zipOf = (files: Record<string, string>, modes: Record<string, number> = {}) =>
  zipFiles(Object.entries(files).map(([name, data]) => ({ name, data, mode: modes[name] })));

/** A package with a literal source archive (or the archive given as-is). */
export async function createSourcePackage(admin: AdminClient, name: string, env: string, source: Record<string, unknown>, buildcmd = "") {
  await admin.create({
    resource: { kind: { case: "package", value: { metadata: { name }, spec: { environment: { name: env }, source, buildcmd } } } },
  } as never);
}

export async function getPackage(admin: AdminClient, name: string): Promise<Package> {
  const r = await admin.get({ kind: Kind.PACKAGE, namespace: "default", name });
  if (r.kind.case !== "package") throw new Error("not a package");
  return r.kind.value;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the package's build status is one of `statuses`. */
export function buildStatus(admin: AdminClient, name: string, statuses: string[], timeoutMs?: number): Promise<Package> {
  return until(
    `package ${name} to be ${statuses.join("|")}`,
    async () => {
      const p = await getPackage(admin, name);
      return statuses.includes(p.status?.buildstatus ?? "") ? p : undefined;
    },
    timeoutMs,
  );
}

/** The deployment archive's bytes (literal or from storage). */
export async function deploymentBytes(pkg: Package, store: StorageClient): Promise<Uint8Array> {
  const d = pkg.spec?.deployment;
  if (!d) throw new Error("package has no deployment archive");
  if (d.type === "literal") return d.literal;
  const id = storageIdOf(d.url);
  if (!id) throw new Error(`unexpected deployment url ${d.url}`);
  return downloadArchive(store, id);
}

/** Files of a deployment zip as text, by path. */
export async function deploymentFiles(pkg: Package, store: StorageClient): Promise<Record<string, string>> {
  const entries = unzipSync(await deploymentBytes(pkg, store));
  return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, strFromU8(v)]));
}

export const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
