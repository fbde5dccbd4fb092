// A real controller + storage + executor on ephemeral ports with a temp state dir, for tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeCluster, FakeKubeApi } from "@fizz/kube-testing";
import { zipSync, strToU8 } from "fflate";
import { loadConfig } from "@fizz/common";
import { adminClient, executorClient, storageClient, type AdminClient, type ExecutorClient, type StorageClient } from "@fizz/clients";
import { Controller, configSchema as controllerSchema } from "@fizz/controller";
import { StorageService as Storage, configSchema as storageSchema } from "@fizz/storage";
import type { Instance } from "@fizz/proto";
import { configSchema } from "../config.js";
import { Executor } from "../executor.js";

export const EXECUTOR_TEST_ENV = {
  FIZZ_REAP_INTERVAL_MS: "200",
  FIZZ_DRAIN_MS: "200",
  FIZZ_STOP_GRACE_MS: "1000",
  FIZZ_RUNTIME_START_TIMEOUT_MS: "10000",
};

export interface Platform {
  stateDir: string;
  /** With `kubernetes: true`: the stand-in API server and the cluster running pods locally. */
  kube?: { api: FakeKubeApi; cluster: FakeCluster; namespace: string };
  controller: Controller;
  storage: Storage;
  executor: Executor;
  admin: AdminClient;
  exec: ExecutorClient;
  store: StorageClient;
  newExecutor(): Executor;
  close(): Promise<void>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
export const KUBE_NAMESPACE = "fizz-function";

/** The built runtime and fetcher as the images FakeCluster runs (`pnpm -s build` first). */
export const KUBE_IMAGES = {
  "fizz/runtime-nodejs": { command: process.execPath, args: [join(repoRoot, "runtimes", "nodejs", "dist", "main.js")] },
  "fizz/fetcher": { command: process.execPath, args: [join(repoRoot, "services", "executor", "dist", "fetcher", "main.js")] },
};

async function startKube(stateDir: string) {
  const api = new FakeKubeApi();
  await api.start();
  const cluster = new FakeCluster(api, { images: KUBE_IMAGES, stateDir: join(stateDir, "pods"), probeIntervalMs: 100, stopGraceMs: 2000 });
  await cluster.start();
  return { api, cluster, namespace: KUBE_NAMESPACE };
}

/**
 * `env`: extra executor settings (e.g. FIZZ_FUNCTION_LOG_MAX_BYTES). `kubernetes`: the executor
 * runs pods on a FakeCluster over a FakeKubeApi instead of local processes.
 */
export async function startPlatform(env: Record<string, string> = {}, opts: { kubernetes?: boolean } = {}): Promise<Platform> {
  const stateDir = await mkdtemp(join(tmpdir(), "fizz-executor-"));
  const kube = opts.kubernetes ? await startKube(stateDir) : undefined;
  const kubeEnv = kube ? { FIZZ_EXECUTOR_BACKEND: "kubernetes", FIZZ_KUBE_SERVER: kube.api.url, FIZZ_FUNCTIONS_NAMESPACE: kube.namespace } : {};
  const controller = new Controller(loadConfig(controllerSchema, { FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STATE_DIR: stateDir }, "controller"));
  await controller.start();
  const storage = new Storage(loadConfig(storageSchema, { FIZZ_STORAGE: "127.0.0.1:0", FIZZ_STATE_DIR: stateDir, FIZZ_ADMIN: controller.address }, "storage"));
  await storage.start();
  const newExecutor = () =>
    new Executor(
      loadConfig(
        configSchema,
        { ...EXECUTOR_TEST_ENV, ...kubeEnv, ...env, FIZZ_EXECUTOR: "127.0.0.1:0", FIZZ_ADMIN: controller.address, FIZZ_STORAGE: storage.address, FIZZ_STATE_DIR: stateDir },
        "executor",
      ),
    );
  const executor = newExecutor();
  await executor.start();
  const admin = adminClient(controller.address!);
  const exec = executorClient(executor.address!);
  const store = storageClient(storage.address!);
  const platform: Platform = {
    stateDir,
    kube,
    controller,
    storage,
    executor,
    admin,
    exec,
    store,
    newExecutor,
    async close() {
      // Tests may swap in a restarted executor: close what the platform holds now.
      platform.exec.close();
      admin.close();
      store.close();
      await platform.executor.stop();
      await kube?.cluster.stop();
      await kube?.api.stop();
      await storage.stop();
      await controller.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return platform;
}

export const zip = (files: Record<string, string>) => zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])));

export const fnSource = (body: string) => `module.exports = async () => ({ status: 200, body: ${JSON.stringify(body)} });\n`;

export async function createEnv(admin: AdminClient, name: string, poolsize: number, image = "nodejs") {
  await admin.create({ resource: { kind: { case: "environment", value: { metadata: { name }, spec: { version: 2, runtime: { image }, poolsize } } } } });
}

export async function createPackage(admin: AdminClient, name: string, env: string, deployment: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  await admin.create({
    resource: { kind: { case: "package", value: { metadata: { name }, spec: { environment: { name: env }, deployment, ...extra } } } },
  } as never);
}

export async function createFunction(admin: AdminClient, name: string, env: string, pkg: string, spec: Record<string, unknown> = {}) {
  await admin.create({
    resource: {
      kind: {
        case: "function",
        value: { metadata: { name }, spec: { environment: { name: env }, package: { packageref: { name: pkg }, functionName: "" }, ...spec } },
      },
    },
  } as never);
}

/** Function + package with a literal zip holding index.js. */
export async function deploy(admin: AdminClient, name: string, env: string, body: string, fnSpec: Record<string, unknown> = {}) {
  await createPackage(admin, `${name}-pkg`, env, { type: "literal", literal: zip({ "index.js": fnSource(body) }) });
  await createFunction(admin, name, env, `${name}-pkg`, fnSpec);
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function instances(exec: ExecutorClient, filter: (i: Instance) => boolean = () => true): Promise<Instance[]> {
  return (await exec.listInstances({})).instances.filter(filter);
}

export const warmOf = (env: string) => (i: Instance) => i.environment === `default/${env}` && i.state === "warm";

export async function httpGet(address: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${address}/`);
  return { status: res.status, body: await res.text() };
}

export const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
