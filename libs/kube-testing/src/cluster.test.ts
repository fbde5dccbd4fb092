// FakeCluster driven through the real @kubernetes/client-node client: Deployments, pods as local
// processes, readiness, restarts and Services.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from "@kubernetes/client-node";
import { FakeCluster, FakeKubeApi, kubeConfigOptions } from "./index.js";
import { claimSubnet } from "./loopback.js";

const web = join(dirname(fileURLToPath(import.meta.url)), "__fixtures__", "web.mjs");
const ns = "fn";
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

let api: FakeKubeApi;
let cluster: FakeCluster;
let apps: AppsV1Api;
let core: CoreV1Api;
let stateDir: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "fake-cluster-"));
  api = new FakeKubeApi();
  const kc = new KubeConfig();
  kc.loadFromOptions(kubeConfigOptions(await api.start()));
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
  cluster = new FakeCluster(api, { images: { "example/web": { command: process.execPath, args: [web] } }, stateDir, stopGraceMs: 2000 });
  await cluster.start();
});
afterEach(async () => {
  await cluster.stop();
  await api.stop();
  expect(cluster.errors).toEqual([]);
  await rm(stateDir, { recursive: true, force: true });
});

function deployment(name: string, replicas: number, image = "example/web:1.0"): V1Deployment {
  const labels = { app: name, pool: "yes" };
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 2,
          volumes: [{ name: "data", emptyDir: {} }],
          containers: [
            {
              name: "web",
              image,
              ports: [{ name: "http", containerPort: 8080 }],
              env: [
                { name: "PORT", value: "8080" },
                { name: "DATA_DIR", value: "/data/web" },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              volumeMounts: [{ name: "data", mountPath: "/data" }],
              readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
            },
          ],
        },
      },
    },
  };
}

/** Resolves once check() holds, re-evaluated on every change the API server stores. */
function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let busy = false;
    let again = false;
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
    const off = api.objects.subscribe(() => void evaluate());
    async function evaluate(): Promise<void> {
      if (busy) return void (again = true);
      busy = true;
      try {
        const v = await check();
        if (v !== undefined) return void (clearTimeout(timer), off(), resolve(v));
      } finally {
        busy = false;
      }
      if (again) (again = false), void evaluate();
    }
    void evaluate();
  });
}

const podsOf = async (selector: string) => (await core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items;
const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const readyPods = (selector: string, n: number) =>
  until(`${n} ready pods (${selector})`, async () => {
    const pods = await podsOf(selector);
    return pods.length === n && pods.every(isReady) ? pods : undefined;
  });

function httpGet(host: string, port: number, path = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host, port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

/** The process is gone (signal 0 probes without signalling). */
const dead = (pid: number) => expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));

describe("FakeCluster", () => {
  it("runs a Deployment's replicas as processes; relabeling, scaling and deletion behave as on a cluster", async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment("web", 2) });
    const pods = await readyPods("app=web", 2);
    const ips = pods.map((p) => p.status!.podIP!);
    expect(new Set(ips).size).toBe(2);
    for (const ip of ips) expect(ip).toMatch(new RegExp(`^127\\.${cluster.octet}\\.0\\.\\d+$`));
    // Each pod's process serves on its own IP, with its env (fieldRef, HOST, emptyDir path) and nothing else.
    const who = JSON.parse((await httpGet(ips[0]!, 8080)).body) as { pod: string; host: string; dataDir: string; env: string[] };
    expect(who.pod).toBe(pods[0]!.metadata!.name);
    expect(who.host).toBe(ips[0]);
    expect(who.dataDir.startsWith(stateDir)).toBe(true);
    expect(existsSync(join(who.dataDir, "hello"))).toBe(true);
    expect(who.env.filter((k) => !/^(PORT|DATA_DIR|POD_NAME|HOST|PATH|HOME)$/.test(k) && !k.startsWith("__CF"))).toEqual([]);
    expect(pods[0]!.metadata!.ownerReferences?.[0]).toMatchObject({ kind: "Deployment", name: "web" });
    await until("deployment status", async () => {
      const d = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
      return d.status?.readyReplicas === 2 && d.status.availableReplicas === 2 && d.status.replicas === 2 ? d : undefined;
    });

    // Relabel one pod out of the selector: it is released and keeps running; a replacement comes.
    const out = pods[0]!.metadata!.name!;
    const outPid = cluster.pid(ns, out, "web")!;
    await core.patchNamespacedPod({ name: out, namespace: ns, body: { metadata: { labels: { pool: "no" } } } }, merge);
    const refilled = await readyPods("app=web,pool=yes", 2);
    expect(refilled.map((p) => p.metadata!.name)).not.toContain(out);
    const released = await until("released pod", async () => {
      const p = await core.readNamespacedPod({ name: out, namespace: ns });
      return p.metadata?.ownerReferences === undefined ? p : undefined;
    });
    expect(isReady(released)).toBe(true);
    expect((await httpGet(released.status!.podIP!, 8080)).status).toBe(200);

    // Scale down: one matching pod goes, and its process with it.
    const pids = new Map(refilled.map((p) => [p.metadata!.name!, cluster.pid(ns, p.metadata!.name!, "web")!]));
    await apps.patchNamespacedDeployment({ name: "web", namespace: ns, body: { spec: { replicas: 1 } } }, merge);
    const [kept] = await readyPods("app=web,pool=yes", 1);
    const removed = refilled.find((p) => p.metadata!.name !== kept!.metadata!.name)!.metadata!.name!;
    await until("scaled-down status", async () => ((await apps.readNamespacedDeployment({ name: "web", namespace: ns })).status?.replicas === 1 ? true : undefined));
    await cluster.terminated(ns, removed);
    dead(pids.get(removed)!);

    // Delete the Deployment: its pods and their processes go; the released pod stays.
    const keptPid = cluster.pid(ns, kept!.metadata!.name!, "web")!;
    await apps.deleteNamespacedDeployment({ name: "web", namespace: ns });
    await until("pods deleted", async () => ((await podsOf("app=web,pool=yes")).length === 0 ? true : undefined));
    await cluster.terminated(ns, kept!.metadata!.name!);
    dead(keptPid);
    expect(() => process.kill(outPid, 0)).not.toThrow(); // the released pod still runs
    await core.deleteNamespacedPod({ name: out, namespace: ns });
    await until("released pod deleted", () => (api.objects.list("core/v1/pods", ns).length === 0 ? true : undefined));
    await cluster.terminated(ns, out);
    dead(outPid);
  });

  it("restarts a crashed container and counts it; logs survive the restart", async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment("crashy", 1) });
    const [pod] = await readyPods("app=crashy", 1);
    const name = pod!.metadata!.name!;
    const pid = cluster.pid(ns, name, "web")!;
    cluster.crashContainer(ns, name, "web");
    const restarted = await until("restart", async () => {
      const p = await core.readNamespacedPod({ name, namespace: ns });
      return p.status?.containerStatuses?.[0]?.restartCount === 1 && isReady(p) ? p : undefined;
    });
    expect(restarted.status!.containerStatuses![0]!.lastState?.terminated).toMatchObject({ exitCode: 137, signal: 9, reason: "Error" });
    expect(cluster.pid(ns, name, "web")).not.toBe(pid);
    dead(pid);
    expect((await httpGet(restarted.status!.podIP!, 8080)).status).toBe(200);
  });

  it("keeps a pod whose readiness probe fails out of Ready, the Deployment's count and its Service", async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment("flaky", 1) });
    const [pod] = await readyPods("app=flaky", 1);
    const name = pod!.metadata!.name!;
    const { dataDir } = JSON.parse((await httpGet(pod!.status!.podIP!, 8080)).body) as { dataDir: string };
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: "flaky" }, spec: { selector: { app: "flaky" }, ports: [{ port: 80, targetPort: "http" }] } } });
    const svc = await until("clusterIP", async () => (await core.readNamespacedService({ name: "flaky", namespace: ns })).spec?.clusterIP || undefined);
    expect(svc).toMatch(new RegExp(`^127\\.${cluster.octet}\\.1\\.\\d+$`));
    expect((await httpGet(svc, 80)).status).toBe(200);

    await writeFile(join(dataDir, "unready"), "");
    await until("not ready", async () => (isReady(await core.readNamespacedPod({ name, namespace: ns })) ? undefined : true));
    await until("readyReplicas 0", async () => ((await apps.readNamespacedDeployment({ name: "flaky", namespace: ns })).status?.readyReplicas === 0 ? true : undefined));
    await expect(httpGet(svc, 80)).rejects.toThrow(); // no ready endpoint: the connection is closed
    await rm(join(dataDir, "unready"));
    await readyPods("app=flaky", 1);
    expect((await httpGet(svc, 80)).status).toBe(200);
  });

  it("balances a Service over ready pods and follows a changed selector", async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment("svc", 2) });
    const pods = await readyPods("app=svc", 2);
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: "svc" }, spec: { selector: { app: "svc" }, ports: [{ name: "http", port: 8888, targetPort: 8080 }] } } });
    const ip = await until("clusterIP", async () => (await core.readNamespacedService({ name: "svc", namespace: ns })).spec?.clusterIP || undefined);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((JSON.parse((await httpGet(ip, 8888)).body) as { pod: string }).pod);
    expect([...seen].sort()).toEqual(pods.map((p) => p.metadata!.name).sort());
    await core.deleteNamespacedService({ name: "svc", namespace: ns });
    await until("proxy closed", async () => httpGet(ip, 8888).then(() => undefined, () => true));
  });

  it("leaves a container with an unknown image waiting (ErrImagePull) and the pod not ready", async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment("nope", 1, "example/missing:1") });
    const pod = await until("waiting pod", async () => {
      const [p] = await podsOf("app=nope");
      return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ErrImagePull" ? p : undefined;
    });
    expect(isReady(pod)).toBe(false);
    expect(cluster.logs(ns, pod.metadata!.name!, "web")).toMatch(/no local command for image "example\/missing:1"/);
  });

  it("serves pods/log: timestamps, sinceSeconds, tailLines, follow until the pod is gone, clear errors", async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment("talk", 1) });
    const [pod] = await readyPods("app=talk", 1);
    const name = pod!.metadata!.name!;
    const ip = pod!.status!.podIP!;
    const say = (text: string, stream = "stdout") => httpGet(ip, 8080, `/say?text=${text}&stream=${stream}`);
    const before = Date.now();
    await say("one");
    await say("two", "stderr");
    await say("three");
    const read = (o: Record<string, unknown> = {}) => core.readNamespacedPodLog({ name, namespace: ns, container: "web", ...o });
    expect(await read()).toBe("one\ntwo\nthree\n");
    const stamped = (await read({ timestamps: true })).trimEnd().split("\n");
    expect(stamped).toHaveLength(3);
    for (const l of stamped) {
      const [ts, text] = l.split(" ");
      expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(Date.parse(ts!)).toBeGreaterThanOrEqual(before - 1);
      expect(["one", "two", "three"]).toContain(text);
    }
    expect(await read({ tailLines: 2 })).toBe("two\nthree\n");
    expect(await read({ tailLines: 0 })).toBe("");
    expect(await read({ sinceSeconds: 60 })).toBe("one\ntwo\nthree\n");
    // Bad input: clear Status errors, nothing changed.
    await expect(read({ container: "nope" })).rejects.toMatchObject({ code: 400, body: expect.stringContaining("container nope is not valid") });
    await expect(core.readNamespacedPodLog({ name: "ghost", namespace: ns, container: "web" })).rejects.toMatchObject({ code: 404 });
    await expect(read({ tailLines: -1 })).rejects.toMatchObject({ code: 400, body: expect.stringContaining("tailLines") });
    // follow: the kept tail, then new lines as they are written, until the pod is gone.
    const res = await fetch(`${api.url}/api/v1/namespaces/${ns}/pods/${name}/log?container=web&follow=true&tailLines=1`);
    const reader = res.body!.getReader();
    let got = "";
    const readUntil = async (want: string) => {
      while (!got.includes(want)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${want}: ${got}`);
        got += new TextDecoder().decode(value);
      }
    };
    await readUntil("three\n");
    await say("four");
    await readUntil("four\n");
    expect(got).toBe("three\nfour\n");
    await apps.deleteNamespacedDeployment({ name: "talk", namespace: ns });
    for (;;) if ((await reader.read()).done) break; // ends once the pod's processes are gone
  });

  it("gives each cluster its own loopback range, and takes over a range whose process is gone", async () => {
    const other = new FakeCluster(api, { images: {}, stateDir: join(stateDir, "other") });
    try {
      expect(other.octet).not.toBe(cluster.octet);
    } finally {
      await other.stop();
    }
    // A lock left by a dead process (pid 2^22 + 1 is above Linux's pid_max default) is stale.
    const probe = claimSubnet();
    probe.release();
    writeFileSync(join(tmpdir(), `fizz-fake-cluster-127.${probe.octet}.lock`), String(4194305));
    const taken = claimSubnet(probe.octet);
    taken.release();
    expect(taken.octet).toBe(probe.octet);
    // A live cluster's range is skipped.
    const next = claimSubnet(cluster.octet);
    next.release();
    expect(next.octet).not.toBe(cluster.octet);
  });
});
