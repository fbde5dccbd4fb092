// KubeBackend against the stand-in API server at object level (no pods run here; the contract
// suite runs real pods through FakeCluster): the pool Deployment it writes, claims by relabeling
// with the pod's resourceVersion, waiting for a ready pod, exits, and adoption after a restart.
import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from "@kubernetes/client-node";
import { FizzError, silentLogger } from "@fizz/common";
import { FakeKubeApi, kubeConfigOptions } from "@fizz/kube-testing";
import type { PoolExit, PoolSpec } from "../pool-backend.js";
import { KubeBackend } from "./kube-backend.js";
import { errorOf } from "./fetcher-client.js";
import { until } from "../../__fixtures__/platform.js";
import { ANNOTATION, labelValue, LABEL, poolDeploymentName, poolLabelOf } from "./pod-template.js";

jest.setTimeout(30_000);

const NS = "fizz-function";
const ENV = "default/nodejs";
const spec = (over: Partial<PoolSpec> = {}): PoolSpec => ({
  environment: ENV,
  image: "nodejs",
  env: { GREETING: "hi" },
  graceMs: 2000,
  size: 2,
  resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "", memory: "128Mi" } },
  ...over,
});
const fn = { key: "default/hello", rv: "42" };

let api: FakeKubeApi;
let apps: AppsV1Api;
let core: CoreV1Api;
let backends: KubeBackend[];
const exits: PoolExit[] = [];

function backend(startTimeoutMs = 3000): KubeBackend {
  const b = new KubeBackend(
    { namespace: NS, server: api.url, storage: "storage.fizz:9092", startTimeoutMs, runtimeImages: { nodejs: "fizz/runtime-nodejs:dev" }, fetcherImage: "fizz/fetcher:dev" },
    silentLogger,
  );
  b.onExit((e) => exits.push(e));
  backends.push(b);
  return b;
}


/** A backend with the pool of ENV and these pods of it, ready and seen as warm. */
async function poolWith(names: string[], startTimeoutMs?: number) {
  const b = backend(startTimeoutMs);
  await b.recover(() => false, new Set());
  b.upsertPool(spec());
  const dep = await until("the pool deployment", deploymentOf);
  for (const n of names) await readyPod(n, dep);
  await until(`${names.length} warm pods`, () => b.warm().length === names.length);
  return { b, dep };
}

const deploymentOf = () => apps.readNamespacedDeployment({ name: poolDeploymentName(ENV), namespace: NS }).catch(() => undefined);

/** A pod as the Deployment controller + kubelet would make it from the pool template, Ready. */
async function readyPod(name: string, dep: V1Deployment, ip = "127.0.0.1"): Promise<V1Pod> {
  const pod = await core.createNamespacedPod({ namespace: NS, body: { metadata: { name, ...dep.spec!.template.metadata }, spec: dep.spec!.template.spec } });
  const body = { metadata: {}, status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: "True" }], containerStatuses: [] } };
  return core.replaceNamespacedPodStatus({ name, namespace: NS, body: { ...pod, ...body, metadata: pod.metadata } as V1Pod });
}

beforeEach(async () => {
  api = new FakeKubeApi();
  const kc = new KubeConfig();
  kc.loadFromOptions(kubeConfigOptions(await api.start()));
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
  backends = [];
  exits.length = 0;
});

afterEach(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await api.stop();
});

describe("KubeBackend pools", () => {
  it("writes one Deployment per Environment with the runtime + fetcher template, labels and resources", async () => {
    const b = backend();
    await b.recover(() => false, new Set());
    expect(b.upsertPool(spec())).toBe(false);
    const dep = await until("the pool deployment", deploymentOf);
    const pool = poolLabelOf(ENV);
    expect(dep.metadata?.labels).toMatchObject({ "app.kubernetes.io/managed-by": "fizz-executor", [LABEL.environment]: "nodejs", [LABEL.environmentNamespace]: "default", [LABEL.pool]: pool });
    expect(dep.spec?.replicas).toBe(2);
    expect(dep.spec?.selector.matchLabels).toEqual({ "app.kubernetes.io/managed-by": "fizz-executor", [LABEL.pool]: pool, [LABEL.poolState]: "warm" });
    const t = dep.spec!.template;
    expect(t.metadata?.labels).toMatchObject({ [LABEL.pool]: pool, [LABEL.poolState]: "warm", [LABEL.environment]: "nodejs" });
    expect(t.spec?.terminationGracePeriodSeconds).toBe(2);
    expect(t.spec?.volumes).toEqual([{ name: "userfunc", emptyDir: {} }]);
    const [runtime, fetcher] = t.spec!.containers;
    expect(runtime).toMatchObject({
      name: "runtime",
      image: "fizz/runtime-nodejs:dev",
      readinessProbe: { httpGet: { path: "/healthz", port: 8888 } },
      volumeMounts: [{ name: "userfunc", mountPath: "/userfunc" }],
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    });
    expect(runtime!.env).toEqual([
      { name: "PORT", value: "8888" },
      { name: "HOST", value: "0.0.0.0" },
      { name: "FIZZ_USERFUNC_DIR", value: "/userfunc" },
      { name: "GREETING", value: "hi" },
    ]);
    expect(fetcher).toMatchObject({
      name: "fetcher",
      image: "fizz/fetcher:dev",
      env: [
        { name: "FIZZ_STORAGE", value: "storage.fizz:9092" },
        { name: "FIZZ_FETCHER_PORT", value: "8000" },
        { name: "FIZZ_USERFUNC_DIR", value: "/userfunc" },
      ],
      readinessProbe: { httpGet: { path: "/healthz", port: 8000 } },
    });
  });

  it("uses a non-built-in image as-is, resizes, replaces the template when the runtime changes, and deletes the pool", async () => {
    const b = backend();
    await b.recover(() => false, new Set());
    b.upsertPool(spec({ image: "ghcr.io/acme/ruby-env:3" }));
    await until("the pool deployment", async () => (await deploymentOf())?.spec?.template.spec?.containers[0]?.image === "ghcr.io/acme/ruby-env:3");
    expect(b.upsertPool(spec({ image: "ghcr.io/acme/ruby-env:3", size: 5 }))).toBe(false);
    await until("5 replicas", async () => (await deploymentOf())?.spec?.replicas === 5);
    const gen = b.generation(ENV);
    const oldWarm = await readyPod("old-warm", (await deploymentOf())!);
    expect(b.upsertPool(spec({ image: "nodejs", size: 5 }))).toBe(true);
    expect(b.generation(ENV)).toBe(gen + 1);
    await until("the new runtime", async () => (await deploymentOf())?.spec?.template.spec?.containers[0]?.image === "fizz/runtime-nodejs:dev");
    // Warm pods of the old runtime are deleted; the Deployment makes new ones.
    await until("old warm pod deleted", async () => !(await core.listNamespacedPod({ namespace: NS })).items.some((p) => p.metadata?.name === oldWarm.metadata?.name));
    b.deletePool(ENV);
    await until("deployment deleted", async () => !(await deploymentOf()));
  });
});

describe("KubeBackend claims", () => {
  it("takes a ready pod by relabeling it out of the pool with the function's labels", async () => {
    const { b, dep } = await poolWith([]);
    await readyPod("p1", dep, "127.0.0.7");
    await until("warm pod seen", () => b.warm().length === 1);
    const inst = await b.take(ENV, fn);
    expect(inst).toMatchObject({ id: "p1", address: "127.0.0.7:8888", envKey: ENV, graceMs: 2000 });
    const pod = await core.readNamespacedPod({ name: "p1", namespace: NS });
    expect(pod.metadata?.labels).toMatchObject({ [LABEL.poolState]: "specialized", [LABEL.function]: "hello", [LABEL.functionNamespace]: "default", [LABEL.functionRv]: "42" });
    expect(b.warm()).toEqual([]);
    expect(b.isAlive("p1")).toBe(true);
  });

  it("moves on to the next pod when its relabel meets a newer resourceVersion (409)", async () => {
    const { b } = await poolWith(["a", "b"]);
    // Another executor relabels "a" first; this one's cache has not seen it yet.
    await api.silently(async () => {
      const a = await core.readNamespacedPod({ name: "a", namespace: NS });
      a.metadata!.labels![LABEL.poolState] = "specialized";
      await core.replaceNamespacedPod({ name: "a", namespace: NS, body: a });
    });
    const inst = await b.take(ENV, fn);
    expect(inst.id).toBe("b");
    expect(api.requests.filter((r) => r.startsWith("PATCH /api/v1/namespaces/fizz-function/pods/a")).length).toBe(1);
  });

  it("waits for a pod to become ready, and gives up after the start timeout", async () => {
    const { b, dep } = await poolWith([], 1500);
    // take() finds no pod and waits: the pod appears only after.
    const waiting = b.take(ENV, fn);
    await readyPod("late", dep);
    expect((await waiting).id).toBe("late");
    const err = (await b.take(ENV, fn).catch((e: unknown) => e)) as FizzError;
    expect(err).toBeInstanceOf(FizzError);
    expect(err.code).toBe("DEADLINE_EXCEEDED");
    expect(err.message).toMatch(/no ready pod in the pool of environment default\/nodejs within 1500 ms/);
  });

  it("reports a taken pod that is deleted by someone else, or whose container restarted, as an unexpected exit", async () => {
    const { b } = await poolWith(["x", "y"]);
    const x = await b.take(ENV, fn);
    const y = await b.take(ENV, fn);
    await core.deleteNamespacedPod({ name: x.id, namespace: NS });
    await until("exit of x", () => exits.find((e) => e.id === x.id));
    expect(exits.find((e) => e.id === x.id)).toMatchObject({ expected: false });
    // A restarted runtime container lost the loaded function: the pod is deleted too.
    const pod = await core.readNamespacedPod({ name: y.id, namespace: NS });
    await core.replaceNamespacedPodStatus({ name: y.id, namespace: NS, body: { ...pod, status: { ...pod.status, containerStatuses: [{ name: "runtime", restartCount: 1, ready: true, image: "i", imageID: "", }] } } as V1Pod });
    await until("exit of y", () => exits.find((e) => e.id === y.id));
    expect(exits.find((e) => e.id === y.id)).toMatchObject({ expected: false, signal: "restarted" });
    await until("y deleted", async () => !(await core.listNamespacedPod({ namespace: NS })).items.some((p) => p.metadata?.name === y.id));
  });

  it("stops a taken pod by deleting it, as an expected exit", async () => {
    const { b } = await poolWith(["s"]);
    const inst = await b.take(ENV, fn);
    await b.stop(inst.id, 1000);
    expect(exits.find((e) => e.id === inst.id)).toMatchObject({ expected: true });
    expect(api.requests.some((r) => r.startsWith("DELETE /api/v1/namespaces/fizz-function/pods/s?gracePeriodSeconds=1"))).toBe(true);
  });
});

describe("KubeBackend recovery", () => {
  it("adopts loaded pods of current function versions, deletes the rest and pools of deleted environments", async () => {
    const first = backend();
    await first.recover(() => false, new Set());
    first.upsertPool(spec());
    first.upsertPool(spec({ environment: "default/gone" }));
    const dep = await until("the pool deployment", deploymentOf);
    await until("both deployments", async () => (await apps.listNamespacedDeployment({ namespace: NS })).items.length === 2);
    for (const n of ["cur", "old", "half", "warm1"]) await readyPod(n, dep);
    await until("four warm", () => first.warm().length === 4);
    const cur = await first.take(ENV, fn);
    const stale = await first.take(ENV, { key: "default/hello", rv: "41" });
    const half = await first.take(ENV, fn); // taken, never loaded: must not be adopted
    const [warm1] = first.warm();
    await first.close();
    // As load() marks a pod once the fetcher answered (the contract suite does it for real).
    for (const name of [cur.id, stale.id])
      await core.patchNamespacedPod({ name, namespace: NS, body: { metadata: { annotations: { [ANNOTATION.loaded]: "true" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));

    const next = backend();
    const adopted = await next.recover((key, rv) => key === "default/hello" && rv === "42", new Set([ENV]));
    expect(adopted).toEqual([expect.objectContaining({ id: cur.id, address: cur.address, fnKey: "default/hello", fnRv: "42", envKey: ENV })]);
    await until("stale and half-loaded pods deleted", async () => {
      const names = (await core.listNamespacedPod({ namespace: NS })).items.map((p) => p.metadata?.name);
      return names.length === 2 && names.includes(cur.id) && names.includes(warm1!.id) && !names.includes(half.id);
    });
    const deps = (await apps.listNamespacedDeployment({ namespace: NS })).items.map((d) => d.metadata?.name);
    expect(deps).toEqual([poolDeploymentName(ENV)]);
    expect(next.isAlive(cur.id)).toBe(true);
  });
});

describe("KubeBackend failures", () => {
  it("says which API server it cannot reach at start", async () => {
    const url = api.url;
    const b = backend();
    await api.stop();
    const err = (await b.recover(() => false, new Set()).catch((e: unknown) => e)) as FizzError;
    expect(err).toBeInstanceOf(FizzError);
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toContain(`cannot list pods in namespace fizz-function of the Kubernetes API at ${url}`);
  });

  it("names why the pool has no pod when its Deployment cannot be written", async () => {
    const b = backend(1500);
    await b.recover(() => false, new Set());
    await api.stop();
    b.upsertPool(spec());
    const err = (await b.take(ENV, fn).catch((e: unknown) => e)) as FizzError;
    expect(err.code).toBe("DEADLINE_EXCEEDED");
    expect(err.message).toMatch(/no ready pod in the pool of environment default\/nodejs within 1500 ms \(namespace fizz-function\); writing its Deployment failed: .+/);
  });
});

describe("pod conventions", () => {
  it("keeps label values valid, hashing long or odd names", () => {
    expect(labelValue("hello")).toBe("hello");
    const long = labelValue("x".repeat(100));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(labelValue("x".repeat(99)));
    expect(labelValue("a/b c")).toMatch(/^a-b-c-[0-9a-f]{12}$/);
    expect(poolDeploymentName("default/" + "E".repeat(80))).toMatch(/^fizz-pool-e{30}-[0-9a-f]{8}$/);
  });

  it("turns the fetcher's error JSON into a FizzError with its code", () => {
    expect(errorOf(400, JSON.stringify({ code: "INVALID_ARGUMENT", message: "bad zip" }))).toMatchObject({ code: "INVALID_ARGUMENT", message: "bad zip" });
    expect(errorOf(502, JSON.stringify({ code: "DATA_LOSS", message: "checksum", reason: "CHECKSUM_MISMATCH" }))).toMatchObject({ code: "DATA_LOSS", reason: "CHECKSUM_MISMATCH" });
    expect(errorOf(503, "upstream down")).toMatchObject({ code: "UNAVAILABLE", message: "fetcher answered 503: upstream down" });
    expect(errorOf(400, JSON.stringify({ code: "NOPE", message: "m" }))).toMatchObject({ code: "INVALID_ARGUMENT", message: "m" });
  });
});

