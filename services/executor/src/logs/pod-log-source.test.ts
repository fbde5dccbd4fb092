// FunctionLogs and ListInstances on the Kubernetes backend, beyond the executor contract: newdeploy
// pods' logs, a deleted pod's logs being gone (with a note saying so), a pod that starts while a
// reader follows. A FakeCluster runs the real runtime and fetcher; the executor reads pods/log.
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { kubeConfigOptions } from "@fizz/kube-testing";
import type { LogLine } from "@fizz/proto";
import { TALK } from "../__fixtures__/executor-contract.js";
import { createEnv, createFunction, createPackage, instances, startPlatform, until, zip, type Platform } from "../__fixtures__/platform.js";
import { functionPodSelector, parsePodLogLine } from "./pod-log-source.js";

jest.setTimeout(180_000);
const WAIT = 45_000;
const ref = (name: string) => ({ function: { name, namespace: "default" } });
const NEWDEPLOY = { invokeStrategy: { executionStrategy: { executorType: "newdeploy", minScale: 1, maxScale: 1 } } };

let p: Platform;
let core: CoreV1Api;

async function lines(name: string, req: { tail?: number } = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of p.exec.functionLogs({ ...ref(name), ...req })) out.push(l);
  return out;
}

async function talker(name: string, spec: Record<string, unknown> = {}) {
  await createPackage(p.admin, `${name}-pkg`, "nodejs", { type: "literal", literal: zip({ "index.js": TALK }) });
  await createFunction(p.admin, name, "nodejs", `${name}-pkg`, spec);
  const r = await p.exec.getServiceForFunction(ref(name));
  return { ...r, say: (n: number) => fetch(`http://${r.address}/?n=${n}`).then((res) => res.text()) };
}

beforeAll(async () => {
  p = await startPlatform({ FIZZ_RUNTIME_START_TIMEOUT_MS: "40000" }, { kubernetes: true });
  const kc = new KubeConfig();
  kc.loadFromOptions(kubeConfigOptions(p.kube!.api.url));
  core = kc.makeApiClient(CoreV1Api);
  await createEnv(p.admin, "nodejs", 1);
});
afterAll(() => p?.close());

describe("function logs on Kubernetes", () => {
  it("reads a newdeploy function's pod log and lists its pod as an instance", async () => {
    const fn = await talker("nd", NEWDEPLOY);
    await fn.say(7);
    const [pod] = (await core.listNamespacedPod({ namespace: p.kube!.namespace, labelSelector: functionPodSelector("default/nd") })).items;
    const name = pod!.metadata!.name!;
    expect(name).toMatch(/^fn-nd-/);
    const got = await until("said 7", async () => (await lines("nd")).find((l) => l.text === "said 7"), WAIT);
    expect(got).toMatchObject({ instanceId: name, stream: "stdout" });
    // The same line as the kubelet keeps it.
    expect(p.kube!.cluster.logs(p.kube!.namespace, name, "runtime")).toContain("said 7\n");
    const [inst] = await instances(p.exec, (i) => i.id === name);
    expect(inst).toMatchObject({ function: "default/nd", environment: "default/nodejs", address: `${pod!.status!.podIP}:8888`, state: "specialized" });
  });

  it("has no logs for a deleted pod, and says why", async () => {
    const fn = await talker("gone");
    await fn.say(1);
    await until("said 1", async () => (await lines("gone")).some((l) => l.text === "said 1"), WAIT);
    await core.deleteNamespacedPod({ name: fn.instanceId, namespace: p.kube!.namespace });
    await until("instance gone", async () => (await instances(p.exec, (i) => i.id === fn.instanceId)).length === 0, WAIT);
    const after = await lines("gone");
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ instanceId: "fizz", stream: "stderr" });
    expect(after[0]!.text).toMatch(/^\[fizz\] no pod of this function exists now; .*logs of deleted pods are gone/);
    // A running pod with nothing printed in the asked range: the note says so too.
    const quiet = await talker("quiet");
    const none = await lines("quiet", { tail: 5 });
    expect(none.map((l) => l.text)).toEqual([expect.stringMatching(/^\[fizz\] nothing in the log of its 1 pod in that range; .*deleted pods are gone/)]);
    expect(quiet.instanceId).not.toBe(fn.instanceId);
  });

  it("follows a pod that is taken for the function after the reader started", async () => {
    await createPackage(p.admin, "later-pkg", "nodejs", { type: "literal", literal: zip({ "index.js": TALK }) });
    await createFunction(p.admin, "later", "nodejs", "later-pkg");
    const ac = new AbortController();
    const follow = p.exec.functionLogs({ ...ref("later"), follow: true }, { signal: ac.signal })[Symbol.asyncIterator]();
    try {
      // No pod yet: the reader is told, and keeps following.
      expect((await follow.next()).value?.text).toMatch(/no pod of this function exists now/);
      const r = await p.exec.getServiceForFunction(ref("later"));
      await fetch(`http://${r.address}/?n=42`).then((res) => res.text());
      const { value } = await follow.next();
      expect(value).toMatchObject({ instanceId: r.instanceId, text: "said 42" });
    } finally {
      ac.abort();
      await follow.return?.(undefined).catch(() => {});
    }
  });

  it("parses kubelet lines with RFC3339Nano timestamps and skips lines without one", () => {
    expect(parsePodLogLine("pod-a", "2025-06-01T12:00:00.123456789Z hello world\r")).toEqual({ timeMs: Date.parse("2025-06-01T12:00:00.123Z"), instanceId: "pod-a", stream: "stdout", text: "hello world" });
    expect(parsePodLogLine("pod-a", "2025-06-01T12:00:00Z")).toMatchObject({ text: "" });
    expect(parsePodLogLine("pod-a", "not a time at all")).toBeUndefined();
    expect(functionPodSelector("default/hello")).toBe("app.kubernetes.io/managed-by=fizz-executor,fizz.dev/function=hello,fizz.dev/function-namespace=default");
  });
});
