// A real controller and storage service in this process on ephemeral ports, for the CLI's
// integration tests, with the built CLI run against them as a subprocess. The builder is not
// started: tests play its part by writing package status through the admin API.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "@fizz/common";
import { adminClient, type AdminClient } from "@fizz/clients";
import { Controller, configSchema as controllerSchema } from "@fizz/controller";
import { StorageService, configSchema as storageSchema } from "@fizz/storage";
import { Kind, type Package } from "@fizz/proto";
import { CLI, runCli, type CliResult } from "./run.js";

export interface TestPlatform {
  controller: Controller;
  storage: StorageService;
  admin: AdminClient;
  env: NodeJS.ProcessEnv;
  fizz(...args: string[]): Promise<CliResult>;
  ok(...args: string[]): Promise<string>;
  json(...args: string[]): Promise<any>;
  /** The CLI's stdout as bytes (for archives written to "-"). */
  raw(...args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }>;
  getPackage(name: string): Promise<Package>;
  /** What the builder would do: set a package's status and log. */
  setBuild(name: string, buildstatus: string, buildlog?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startTestPlatform(): Promise<TestPlatform> {
  const stateDir = mkdtempSync(join(tmpdir(), "fizz-cli-pkg-it-"));
  const controller = new Controller(loadConfig(controllerSchema, { FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STATE_DIR: stateDir }, "controller"));
  await controller.start();
  const storage = new StorageService(
    loadConfig(storageSchema, { FIZZ_STORAGE: "127.0.0.1:0", FIZZ_ADMIN: controller.address, FIZZ_STATE_DIR: stateDir, FIZZ_STORAGE_GC_INTERVAL_MS: "0" }, "storage"),
  );
  await storage.start();
  const admin = adminClient(controller.address!);
  const env = { FIZZ_ADMIN: controller.address!, FIZZ_STORAGE: storage.address!, FIZZ_LOG_LEVEL: "warn" };
  const fizz = (...args: string[]) => runCli(args, env, stateDir);
  const ok = async (...args: string[]) => {
    const r = await fizz(...args);
    if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const getPackage = async (name: string) => {
    const r = await admin.get({ kind: Kind.PACKAGE, namespace: "default", name });
    if (r.kind.case !== "package") throw new Error(`${name} is not a package`);
    return r.kind.value;
  };
  return {
    controller,
    storage,
    admin,
    env,
    fizz,
    ok,
    json: async (...args) => JSON.parse(await ok(...args, "-o", "json")),
    raw: (...args) =>
      new Promise((resolve) => {
        const c = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NODE_OPTIONS: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        let stderr = "";
        c.stdout.on("data", (d: Buffer) => out.push(d));
        c.stderr.on("data", (d) => (stderr += d));
        c.on("exit", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
      }),
    getPackage,
    async setBuild(name, buildstatus, buildlog = "") {
      const pkg = await getPackage(name);
      pkg.status = { ...pkg.status!, buildstatus, buildlog, lastUpdateTimestamp: new Date().toISOString() };
      await admin.update({ resource: { kind: { case: "package", value: pkg } } });
    },
    async close() {
      admin.close();
      await storage.stop();
      await controller.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Writes files (path → content) under a new temp directory and returns it. */
export function tree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "fizz-cli-src-"));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}
