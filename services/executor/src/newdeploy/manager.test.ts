// newdeploy's objects against the stand-in Kubernetes API (no pods run here; the cluster tests
// run them): specs, updates, deletes, adoption, scale to zero, and the timeout diagnosis.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import { FizzError } from "@fizz/common";
import { Kind } from "@fizz/proto";
import { createFunction, createPackage, zip, fnSource } from "../__fixtures__/platform.js";
import { MERGE_PATCH } from "./kube.js";
import { nameOf } from "./labels.js";
import { NS, startRig, whenApi, type NewDeployRig } from "./__fixtures__/newdeploy.js";

let rig: NewDeployRig;
const nd = (extra: Record<string, unknown> = {}) => ({ invokeStrategy: { strategyType: "execution", executionStrategy: { executorType: "newdeploy", ...extra } } });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a failure"); }, (e: unknown) => e as FizzError);
const depOf = (fn: string) => rig.apis.apps.readNamespacedDeployment({ name: nameOf("default", fn), namespace: NS });
const exists = (p: Promise<unknown>) => p.then(() => true, () => false);
const fetcherEnv = (d: V1Deployment, name: string) => d.spec?.template.spec?.containers.find((c) => c.name === "fetcher")?.env?.find((e) => e.name === name)?.value;
const startup = (d: V1Deployment) => JSON.parse(fetcherEnv(d, "FIZZ_SPECIALIZE_ON_STARTUP") ?? "null") as { package: { metadata: { name: string }; spec: { deployment: { literal: string } } }; functionName: string; v1: boolean; timeoutMs: number };

async function deployFn(name: string, body: string, spec: Record<string, unknown>) {
  await createPackage(rig.admin, `${name}-pkg`, "nodejs", { type: "literal", literal: zip({ "index.js": fnSource(body) }) });
  await createFunction(rig.admin, name, "nodejs", `${name}-pkg`, spec);
}

/** Writes a pod of the function's Deployment the way a kubelet reports it. */
async function fakePod(dep: V1Deployment, name: string, status: V1Pod["status"]) {
  const pod = await rig.apis.core.createNamespacedPod({ namespace: NS, body: { metadata: { name, labels: dep.spec!.template.metadata!.labels }, spec: dep.spec!.template.spec! } });
  await rig.apis.core.patchNamespacedPodStatus({ name: pod.metadata!.name!, namespace: NS, body: { status } }, MERGE_PATCH);
}

beforeAll(async () => {
  rig = await startRig();
  await rig.admin.create({
    resource: {
      kind: {
        case: "environment",
        value: { metadata: { name: "nodejs" }, spec: { version: 2, runtime: { image: "fission/node-env:1.32", env: { GREETING: "hi" } }, poolsize: 0, resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "", memory: "128Mi" } } } },
      },
    },
  } as never);
  await rig.manager();
}, 30_000);
afterAll(() => rig?.close());

describe("newdeploy objects", () => {
  it("creates a Deployment, Service and HPA with the function's spec", async () => {
    await deployFn("hello", "hello v1", { ...nd({ minScale: 2, maxScale: 5, targetCpuPercent: 60 }), resources: { requests: { cpu: "250m", memory: "" }, limits: { cpu: "", memory: "256Mi" } } });
    const name = nameOf("default", "hello");
    await whenApi(rig.api, "HPA", () => exists(rig.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: NS })));
    const dep = await depOf("hello");
    const labels = { "app.kubernetes.io/managed-by": "fizz-executor", "fizz.dev/executor": "newdeploy", "fizz.dev/function": "hello", "fizz.dev/function-namespace": "default" };
    expect(dep.metadata?.labels).toMatchObject({ ...labels, "fizz.dev/environment": "nodejs", "fizz.dev/environment-namespace": "default" });
    expect(dep.spec?.replicas).toBe(2);
    expect(dep.spec?.selector.matchLabels).toEqual(labels);
    const fnRes = await rig.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "hello" });
    const rv = fnRes.kind.case === "function" ? fnRes.kind.value.metadata?.resourceVersion : "";
    expect(dep.spec?.template.metadata?.labels).toMatchObject({ ...labels, "fizz.dev/function-rv": rv });
    const [runtime, fetcher] = dep.spec!.template.spec!.containers;
    expect(runtime).toMatchObject({ name: "runtime", image: "fizz/runtime-nodejs:dev", readinessProbe: { httpGet: { path: "/healthz", port: 8888 } } });
    // The Function's resources, not the Environment's.
    expect(runtime!.resources).toEqual({ requests: { cpu: "250m" }, limits: { memory: "256Mi" } });
    expect(runtime!.env).toEqual(expect.arrayContaining([{ name: "GREETING", value: "hi" }, { name: "PORT", value: "8888" }, { name: "HOST", value: "0.0.0.0" }, { name: "FIZZ_USERFUNC_DIR", value: "/userfunc" }]));
    expect(fetcher).toMatchObject({ name: "fetcher", image: "fizz/fetcher:dev", readinessProbe: { httpGet: { path: "/healthz", port: 8000 } } });
    expect(fetcherEnv(dep, "FIZZ_STORAGE")).toBe("storage.fizz:9092");
    const s = startup(dep);
    expect(s).toMatchObject({ functionName: "", v1: false, timeoutMs: 120_000, package: { metadata: { name: "hello-pkg" } } });
    expect(s.package.spec.deployment.literal.length).toBeGreaterThan(10);
    expect(dep.spec?.template.spec?.volumes).toEqual([{ name: "userfunc", emptyDir: {} }]);

    const svc = await rig.apis.core.readNamespacedService({ name, namespace: NS });
    expect(svc.spec).toMatchObject({ type: "ClusterIP", selector: labels, ports: [{ port: 80, targetPort: 8888 }] });
    const hpa = await rig.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: NS });
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }],
    });
  });

  it("falls back to the Environment's resources and Fission's defaults", async () => {
    await deployFn("plain", "plain", nd());
    await whenApi(rig.api, "HPA", () => exists(rig.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: nameOf("default", "plain"), namespace: NS })));
    const dep = await depOf("plain");
    expect(dep.spec?.replicas).toBe(0);
    expect(dep.spec?.template.spec?.containers[0]?.resources).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } });
    const hpa = await rig.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: nameOf("default", "plain"), namespace: NS });
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 1, metrics: [{ resource: { target: { averageUtilization: 80 } } }] });
  });

  it("rolls the template on a function update and keeps the replicas the cluster chose", async () => {
    const before = await depOf("hello");
    // As the HPA would.
    await rig.apis.apps.patchNamespacedDeployment({ name: before.metadata!.name!, namespace: NS, body: { spec: { replicas: 4 } } }, MERGE_PATCH);
    const pkg = await rig.admin.get({ kind: Kind.PACKAGE, namespace: "default", name: "hello-pkg" });
    if (pkg.kind.case !== "package") throw new Error("no package");
    pkg.kind.value.spec!.deployment!.literal = zip({ "index.js": fnSource("hello v2") });
    await rig.admin.update({ resource: pkg });
    const after = await whenApi(rig.api, "rolled template", async () => {
      const d = await depOf("hello");
      return d.spec?.template.metadata?.labels?.["fizz.dev/function-rv"] !== before.spec?.template.metadata?.labels?.["fizz.dev/function-rv"] && d;
    });
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.spec?.replicas).toBe(4);
    expect(after.spec?.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(startup(after).package.spec.deployment.literal).not.toBe(startup(before).package.spec.deployment.literal);
  });

  it("rolls every function of an Environment when its runtime changes", async () => {
    const env = await rig.admin.get({ kind: Kind.ENVIRONMENT, namespace: "default", name: "nodejs" });
    if (env.kind.case !== "environment") throw new Error("no environment");
    env.kind.value.spec!.runtime!.env = { GREETING: "hello" };
    await rig.admin.update({ resource: env });
    for (const fn of ["hello", "plain"])
      await whenApi(rig.api, `${fn} rolled`, async () => (await depOf(fn)).spec?.template.spec?.containers[0]?.env?.some((e) => e.name === "GREETING" && e.value === "hello"));
  });

  it("deletes all three objects with the function", async () => {
    await deployFn("gone", "gone", nd({ minScale: 1 }));
    const name = nameOf("default", "gone");
    await whenApi(rig.api, "HPA", () => exists(rig.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: NS })));
    await rig.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "gone" });
    await whenApi(rig.api, "all deleted", async () => {
      const left = await Promise.all([exists(depOf("gone")), exists(rig.apis.core.readNamespacedService({ name, namespace: NS })), exists(rig.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: NS }))]);
      return left.every((x) => !x);
    });
  });

  it("refuses a function whose package is not built, creating nothing", async () => {
    await createPackage(rig.admin, "src-pkg", "nodejs", {}, { source: { type: "literal", literal: zip({ "index.js": fnSource("x") }) } });
    await createFunction(rig.admin, "unbuilt", "nodejs", "src-pkg", nd());
    const m = await rig.manager();
    const err = await failure(m.getServiceForFunction({ name: "unbuilt", namespace: "default" }));
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION", reason: "PACKAGE_NOT_BUILT" });
    expect(await exists(depOf("unbuilt"))).toBe(false);
  });

  it("times out with what the pods are doing", async () => {
    await deployFn("stuck", "stuck", nd({ minScale: 1, specializationTimeout: 1 }));
    const dep = await whenApi(rig.api, "Deployment", () => depOf("stuck").catch(() => undefined));
    await fakePod(dep, "stuck-a", {
      phase: "Pending",
      conditions: [{ type: "Ready", status: "False" }],
      containerStatuses: [
        { name: "runtime", image: "x", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "fizz/runtime-nodejs:dev"' } } },
        { name: "fetcher", image: "y", imageID: "", ready: false, restartCount: 5, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, reason: "Error" } } },
      ],
    });
    const m = await rig.manager();
    const err = await failure(m.getServiceForFunction({ name: "stuck", namespace: "default" }));
    expect(err).toBeInstanceOf(FizzError);
    expect(err).toMatchObject({ code: "DEADLINE_EXCEEDED", reason: "SPECIALIZATION_TIMEOUT" });
    expect(err.message).toContain('function "stuck": no pod of version');
    expect(err.message).toContain("within 1s");
    expect(err.message).toContain('pod stuck-a is Pending, not Ready: runtime ImagePullBackOff (Back-off pulling image "fizz/runtime-nodejs:dev")');
    expect(err.message).toContain("fetcher crash looping: CrashLoopBackOff, restarted 5 times (last exit code 1, Error)");
  });

  it("says so when no pod exists at all", async () => {
    await deployFn("nopods", "nopods", nd({ minScale: 1, specializationTimeout: 1 }));
    const m = await rig.manager();
    const err = await failure(m.getServiceForFunction({ name: "nopods", namespace: "default" }));
    expect(err.message).toMatch(/no pod of this version exists \(Deployment fn-nopods-[0-9a-f]{8}: 1 replicas wanted, 0 ready\)/);
  });

  it("ends a waiting call when the executor stops", async () => {
    await deployFn("waiting", "waiting", nd({ minScale: 1 }));
    const m = await rig.manager();
    const call = failure(m.getServiceForFunction({ name: "waiting", namespace: "default" }));
    await whenApi(rig.api, "Deployment", () => exists(depOf("waiting")));
    await m.stop();
    expect(await call).toMatchObject({ code: "UNAVAILABLE", message: "executor is shutting down" });
  });
});

describe("newdeploy after an executor restart", () => {
  it("adopts existing objects without writing, updates changed ones and deletes orphans", async () => {
    await rig.stopManagers();
    const hello = await depOf("hello");
    // While the executor is down: one function deleted, one updated.
    await rig.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "plain" });
    const stuck = await rig.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "stuck" });
    if (stuck.kind.case !== "function") throw new Error("no function");
    stuck.kind.value.spec!.invokeStrategy!.executionStrategy!.maxScale = 7;
    await rig.admin.update({ resource: stuck });
    const mark = rig.api.requests.length;
    await rig.manager();
    const writes = rig.api.requests.slice(mark).filter((r) => !r.startsWith("GET"));
    const hpaPath = (fn: string) => `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/${nameOf("default", fn)}`;
    // Only the changed HPA, and the orphan's three deletions.
    expect(writes.filter((w) => w.includes(nameOf("default", "hello")))).toEqual([]);
    expect(writes).toContain(`PUT ${hpaPath("stuck")}`);
    expect(writes.filter((w) => w.startsWith("DELETE")).sort()).toEqual(
      [`DELETE /apis/apps/v1/namespaces/${NS}/deployments/${nameOf("default", "plain")}?propagationPolicy=Background`, `DELETE /api/v1/namespaces/${NS}/services/${nameOf("default", "plain")}`, `DELETE ${hpaPath("plain")}`].sort(),
    );
    expect((await depOf("hello")).metadata).toMatchObject({ uid: hello.metadata?.uid, resourceVersion: hello.metadata?.resourceVersion });
    expect((await rig.apis.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: nameOf("default", "stuck"), namespace: NS })).spec?.maxReplicas).toBe(7);
  });

  it("deletes the objects of a function switched to poolmgr", async () => {
    const fn = await rig.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "hello" });
    if (fn.kind.case !== "function") throw new Error("no function");
    fn.kind.value.spec!.invokeStrategy!.executionStrategy!.executorType = "poolmgr";
    await rig.admin.update({ resource: fn });
    await whenApi(rig.api, "deleted", async () => !(await exists(depOf("hello"))));
  });
});
