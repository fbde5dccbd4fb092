// A real controller, a stand-in Kubernetes API (optionally with FakeCluster running its pods) and
// NewDeployManagers over them, for newdeploy's tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, silentLogger } from "@fizz/common";
import { adminClient, Informer, type AdminClient } from "@fizz/clients";
import { Controller, configSchema as controllerSchema } from "@fizz/controller";
import { FakeKubeApi } from "@fizz/kube-testing";
import { Kind } from "@fizz/proto";
import { kubeConfig } from "@fizz/kube";
import { kubeApis, type KubeApis } from "../kube.js";
import { NewDeployManager } from "../manager.js";

export const NS = "fizz-function";

export interface NewDeployRig {
  stateDir: string;
  controller: Controller;
  admin: AdminClient;
  api: FakeKubeApi;
  apis: KubeApis;
  /** A manager with its own Informer, started (adoption runs); closed by close(). */
  manager(opts?: { storage?: string; reapIntervalMs?: number }): Promise<NewDeployManager>;
  /** Stops the managers started so far (as an executor restart does). */
  stopManagers(): Promise<void>;
  close(): Promise<void>;
}

export async function startRig(): Promise<NewDeployRig> {
  const stateDir = await mkdtemp(join(tmpdir(), "fizz-newdeploy-"));
  const controller = new Controller(loadConfig(controllerSchema, { FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STATE_DIR: stateDir }, "controller"));
  await controller.start();
  const admin = adminClient(controller.address!);
  const api = new FakeKubeApi();
  const kc = kubeConfig(await api.start());
  const running: { m: NewDeployManager; informer: Informer }[] = [];
  const rig: NewDeployRig = {
    stateDir,
    controller,
    admin,
    api,
    apis: kubeApis(kc),
    async manager(opts = {}) {
      const informer = new Informer(admin, [Kind.ENVIRONMENT, Kind.PACKAGE, Kind.FUNCTION], silentLogger);
      const m = new NewDeployManager(
        informer,
        kc,
        {
          namespace: NS,
          fetcherImage: "fizz/fetcher:dev",
          runtimeImages: { nodejs: "fizz/runtime-nodejs:dev", python: "fizz/runtime-python:dev", exec: "fizz/runtime-exec:dev" },
          storage: opts.storage ?? "storage.fizz:9092",
          reapIntervalMs: opts.reapIntervalMs ?? 100,
        },
        silentLogger,
      );
      await informer.start();
      await m.start();
      running.push({ m, informer });
      return m;
    },
    async stopManagers() {
      for (const { m, informer } of running.splice(0)) {
        await m.stop();
        informer.stop();
      }
    },
    async close() {
      await rig.stopManagers();
      admin.close();
      await api.stop();
      await controller.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Resolves with check()'s value once truthy, re-checked on every change the API server records. */
export function whenApi<T>(api: FakeKubeApi, what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let busy = false;
    let again = false;
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const unsubscribe = api.objects.subscribe(() => void run());
    const finish = (err?: Error, v?: T) => {
      clearTimeout(timer);
      unsubscribe();
      if (err) reject(err);
      else resolve(v as T);
    };
    async function run(): Promise<void> {
      if (busy) return void (again = true);
      busy = true;
      try {
        const v = await check();
        if (v) return finish(undefined, v);
      } catch (err) {
        return finish(err as Error);
      } finally {
        busy = false;
      }
      if (again) (again = false), void run();
    }
    void run();
  });
}
