// A runtime pod as the Kubernetes backends build it (runtime + fetcher containers sharing the
// userfunc emptyDir), run by FakeCluster from the built images' entry points: the fetcher
// specializes the runtime next to it, on demand (poolmgr) or at startup (newdeploy).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeCluster, FakeKubeApi, type KubeObject } from "@fizz/kube-testing";
import { fnSource, zip } from "../__fixtures__/platform.js";
import { runtimePodTemplate } from "../backend/kube/pod-template.js";
import { packageJson, startStorage, type StorageFixture } from "./__fixtures__/storage.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const ns = "fizz-function";

let storage: StorageFixture;
let api: FakeKubeApi;
let cluster: FakeCluster;

beforeAll(async () => {
  storage = await startStorage();
  api = new FakeKubeApi();
  await api.start();
  cluster = new FakeCluster(api, {
    stateDir: join(storage.stateDir, "cluster"),
    images: {
      "fizz/runtime-nodejs": { command: process.execPath, args: [join(root, "runtimes", "nodejs", "dist", "main.js")] },
      "fizz/fetcher": { command: process.execPath, args: [join(root, "services", "executor", "dist", "fetcher", "main.js")] },
    },
  });
  await cluster.start();
});
afterAll(async () => {
  await cluster.stop();
  await api.stop();
  await storage.close();
});

/** The executor's runtime pod template (runtime + fetcher), with extra fetcher env for newdeploy. */
function runtimePod(labels: Record<string, string>, fetcherEnv: { name: string; value: string }[] = []) {
  const spec = { environment: "default/nodejs", image: "nodejs", env: {}, graceMs: 2000, size: 1 };
  const t = runtimePodTemplate(spec, { runtimeImages: { nodejs: "fizz/runtime-nodejs:dev" }, fetcherImage: "fizz/fetcher:dev", storage: storage.address }, labels, {});
  t.spec!.containers.find((c) => c.name === "fetcher")!.env!.push(...fetcherEnv);
  return t as { metadata: { labels: Record<string, string> } };
}

function createDeployment(name: string, template: ReturnType<typeof runtimePod>): void {
  const at = { collection: "apps/v1/deployments", resource: "deployments", group: "apps", namespace: ns, name };
  api.objects.create(at, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas: 1, selector: { matchLabels: template.metadata.labels }, template } }, "apps/v1", undefined);
}

/** Resolves once check() finds something, re-evaluated on every stored change. */
function until<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  return new Promise((ok, fail) => {
    const done = (v: T) => (clearTimeout(timer), off(), ok(v));
    const timer = setTimeout(() => (off(), fail(new Error(`timed out waiting for ${what}`))), timeoutMs);
    const off = api.objects.subscribe(() => {
      const v = check();
      if (v !== undefined) done(v);
    });
    const v = check();
    if (v !== undefined) done(v);
  });
}

const readyPod = (app: string) =>
  until(`a ready ${app} pod`, () =>
    api.objects
      .list("core/v1/pods", ns)
      .find((p) => (p.metadata?.labels as Record<string, string>)["app"] === app && (p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === "Ready" && c.status === "True")),
  );
const ipOf = (p: KubeObject) => (p.status as { podIP: string }).podIP;

const pkgOf = async (body: string) => packageJson(await storage.uploaded(zip({ "index.js": fnSource(body) })), `${body}-pkg`);

describe("runtime pod with the fetcher sidecar", () => {
  it("specializes a generic pool pod on POST <podIP>:8000/specialize", async () => {
    createDeployment("pool", runtimePod({ app: "pool" }));
    const pod = await readyPod("pool");
    const ip = ipOf(pod);
    expect((await fetch(`http://${ip}:8888/`)).status).toBe(500); // generic: not specialized yet
    const res = await fetch(`http://${ip}:8000/specialize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ package: await pkgOf("pooled"), functionName: "index", timeoutMs: 10_000 }) });
    expect([res.status, await res.json()]).toEqual([200, { ok: true }]);
    expect(await (await fetch(`http://${ip}:8888/`)).text()).toBe("pooled");
  });

  it("specializes at startup and becomes Ready only then (newdeploy), reachable through a Service", async () => {
    const body = JSON.stringify({ package: await pkgOf("newdeploy"), functionName: "index" });
    createDeployment("fn", runtimePod({ app: "fn" }, [{ name: "FIZZ_SPECIALIZE_ON_STARTUP", value: body }]));
    const svcAt = { collection: "core/v1/services", resource: "services", group: "core", namespace: ns, name: "fn" };
    api.objects.create(svcAt, { apiVersion: "v1", kind: "Service", metadata: { name: "fn" }, spec: { selector: { app: "fn" }, ports: [{ port: 80, targetPort: 8888 }] } }, "v1", undefined);
    const pod = await readyPod("fn");
    // Ready means specialized: the first request already runs the function.
    expect(await (await fetch(`http://${ipOf(pod)}:8888/`)).text()).toBe("newdeploy");
    const clusterIP = await until("clusterIP", () => (api.objects.get(svcAt).spec as { clusterIP?: string }).clusterIP);
    expect(await (await fetch(`http://${clusterIP}/`)).text()).toBe("newdeploy");
    expect(cluster.logs(ns, pod.metadata!.name!, "fetcher")).toMatch(/"msg":"specialized"/);
  });
});
