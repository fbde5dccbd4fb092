// newdeploy end to end on the Kubernetes backend: the real executor, controller and storage, the
// stand-in API server and FakeCluster running the pods (the real nodejs runtime + the real fetcher
// as local processes, Services as local TCP proxies). A call is answered through the Service.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { FizzError } from "@fizz/common";
import { FakeCluster, FakeKubeApi } from "@fizz/kube-testing";
import { ArchiveSchema, Kind } from "@fizz/proto";
import { createFunction, createPackage, fnSource, httpGet, startPlatform, zip, type Platform } from "../__fixtures__/platform.js";
import { kubeApis, type KubeApis } from "./kube.js";
import { kubeConfig } from "@fizz/kube";
import { nameOf } from "./labels.js";
import { NS, whenApi } from "./__fixtures__/newdeploy.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const node = (script: string) => ({ command: process.execPath, args: [join(root, script)] });

let api: FakeKubeApi;
let cluster: FakeCluster;
let p: Platform;
let apis: KubeApis;
let podsDir: string;
const ref = (name: string) => ({ function: { name, namespace: "default" } });
const nd = (extra: Record<string, unknown> = {}) => ({ invokeStrategy: { strategyType: "execution", executionStrategy: { executorType: "newdeploy", ...extra } } });
const failure = (pr: Promise<unknown>) => pr.then(() => { throw new Error("expected a failure"); }, (e: unknown) => e as FizzError);
const podsOf = async (fn: string) =>
  (await apis.core.listNamespacedPod({ namespace: NS })).items.filter((x) => x.metadata?.labels?.["fizz.dev/function"] === fn && !x.metadata?.deletionTimestamp);
const replicasOf = async (fn: string) => (await apis.apps.readNamespacedDeployment({ name: nameOf("default", fn), namespace: NS })).spec?.replicas;

async function env(name: string, image: string) {
  await p.admin.create({ resource: { kind: { case: "environment", value: { metadata: { name }, spec: { version: 2, runtime: { image }, poolsize: 0 } } } } } as never);
}
async function deployFn(name: string, body: string, spec: Record<string, unknown>, envName = "nodejs") {
  await createPackage(p.admin, `${name}-pkg`, envName, { type: "literal", literal: zip({ "index.js": fnSource(body) }) });
  // No functionName: the runtime's default export, as poolmgr functions are loaded too.
  await createFunction(p.admin, name, envName, `${name}-pkg`, { package: { packageref: { name: `${name}-pkg` } }, ...spec });
}

beforeAll(async () => {
  podsDir = await mkdtemp(join(tmpdir(), "fizz-nd-pods-"));
  api = new FakeKubeApi();
  await api.start();
  apis = kubeApis(kubeConfig(api.url));
  cluster = new FakeCluster(api, {
    images: {
      "fizz/runtime-nodejs": node("runtimes/nodejs/dist/main.js"),
      "fizz/fetcher": node("services/executor/dist/fetcher/main.js"),
      "example/crasher": { command: process.execPath, args: ["-e", "process.exit(3)"] },
    },
    stateDir: podsDir,
    stopGraceMs: 2000,
  });
  await cluster.start();
  p = await startPlatform({ FIZZ_EXECUTOR_BACKEND: "kubernetes", FIZZ_KUBE_SERVER: api.url, FIZZ_FUNCTIONS_NAMESPACE: NS });
  await env("nodejs", "nodejs");
}, 60_000);

afterAll(async () => {
  await p?.close();
  await cluster?.stop();
  await api?.stop();
  await rm(podsDir, { recursive: true, force: true });
  expect(cluster.errors).toEqual([]);
}, 60_000);

describe("newdeploy on the Kubernetes backend", () => {
  it("answers a call with the function's output through its Service", async () => {
    await deployFn("hello", "hello v1", nd({ minScale: 1, maxScale: 3 }));
    const r = await p.exec.getServiceForFunction(ref("hello"));
    // The Service balances over up to 3 pods of requestsPerPod 1: routers may send 3 at once.
    expect(r.maxInFlight).toBe(3);
    const svc = await apis.core.readNamespacedService({ name: nameOf("default", "hello"), namespace: NS });
    expect(r.address).toBe(`${svc.spec?.clusterIP}:80`);
    expect(await httpGet(r.address)).toEqual({ status: 200, body: "hello v1" });
    const again = await p.exec.getServiceForFunction(ref("hello"));
    expect(again).toMatchObject({ address: r.address, cold: false });
  }, 60_000);

  it("rolls to the new version on an update", async () => {
    const before = await podsOf("hello");
    const pkg = await p.admin.get({ kind: Kind.PACKAGE, namespace: "default", name: "hello-pkg" });
    if (pkg.kind.case !== "package") throw new Error("not a package");
    pkg.kind.value.spec!.deployment = create(ArchiveSchema, { type: "literal", literal: zip({ "index.js": fnSource("hello v2") }) });
    await p.admin.update({ resource: pkg });
    const fn = await whenApi(api, "function update seen", async () => {
      const f = await p.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "hello" });
      return f.kind.case === "function" && f.kind.value.metadata?.resourceVersion;
    });
    // Answers only once a pod of the new version is Ready.
    const r = await p.exec.getServiceForFunction(ref("hello"));
    expect(r.functionResourceVersion).toBe(fn);
    const pods = await podsOf("hello");
    expect(pods.some((x) => x.metadata?.labels?.["fizz.dev/function-rv"] === fn && x.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))).toBe(true);
    // Until the rollout ends the Service may still pick the old pod (as kube-proxy does).
    await whenApi(api, "old pod gone", async () => {
      const names = new Set((await podsOf("hello")).map((x) => x.metadata?.name));
      return before.every((b) => !names.has(b.metadata?.name));
    });
    expect(await httpGet(r.address)).toEqual({ status: 200, body: "hello v2" });
  }, 60_000);

  it("scales an idle minScale 0 function to zero and back on the next call", async () => {
    await deployFn("lazy", "lazy", { ...nd({ minScale: 0 }), idletimeout: 1 });
    await whenApi(api, "Deployment", async () => (await replicasOf("lazy").catch(() => undefined)) === 0);
    expect(await podsOf("lazy")).toEqual([]);
    const first = await p.exec.getServiceForFunction(ref("lazy"));
    expect(first.cold).toBe(true);
    expect(await httpGet(first.address)).toEqual({ status: 200, body: "lazy" });
    await whenApi(api, "scaled to zero", async () => (await replicasOf("lazy")) === 0 && (await podsOf("lazy")).length === 0);
    const second = await p.exec.getServiceForFunction(ref("lazy"));
    expect(second).toMatchObject({ address: first.address, cold: true });
    expect(await httpGet(second.address)).toEqual({ status: 200, body: "lazy" });
  }, 60_000);

  it("reports a crash-looping runtime when no pod becomes ready in time", async () => {
    await env("broken", "example/crasher:1");
    await deployFn("crashy", "never", nd({ minScale: 1, specializationTimeout: 3 }), "broken");
    const err = await failure(p.exec.getServiceForFunction(ref("crashy")));
    expect(err).toMatchObject({ code: "DEADLINE_EXCEEDED", reason: "SPECIALIZATION_TIMEOUT" });
    expect(err.message).toMatch(/pod fn-crashy-\S+ is \w+, not Ready: runtime (crash looping: CrashLoopBackOff|running but not ready|terminated)[^;]*restarted \d+ times? \(last exit code 3\b/);
  }, 60_000);

  it("adopts the running pods after an executor restart", async () => {
    const before = (await podsOf("hello")).map((x) => x.metadata?.uid).sort();
    const addr = (await p.exec.getServiceForFunction(ref("hello"))).address;
    await p.executor.stop();
    p.exec.close();
    const restarted = p.newExecutor();
    await restarted.start();
    p.executor = restarted;
    const { executorClient } = await import("@fizz/clients");
    p.exec = executorClient(restarted.address!);
    const r = await p.exec.getServiceForFunction(ref("hello"));
    expect(r).toMatchObject({ address: addr, cold: false });
    expect(await httpGet(r.address)).toEqual({ status: 200, body: "hello v2" });
    expect((await podsOf("hello")).map((x) => x.metadata?.uid).sort()).toEqual(before);
  }, 60_000);

  it("deletes the Deployment, Service, HPA and pods with the function", async () => {
    await p.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "lazy" });
    await whenApi(api, "objects gone", async () => {
      const svc = await apis.core.readNamespacedService({ name: nameOf("default", "lazy"), namespace: NS }).then(() => true, () => false);
      return !svc && (await replicasOf("lazy").then(() => false, () => true));
    });
  }, 60_000);
});
