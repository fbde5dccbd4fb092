// The Kubernetes store against the stand-in API server (libs/kube-testing), through the real
// @kubernetes/client-node client: the shared store contract, plus what only Kubernetes has.
import { afterAll, describe, expect, it } from "@jest/globals";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { loadConfig } from "@fizz/common";
import { create } from "@bufbuild/protobuf";
import { EventType, Kind, PackageStatusSchema } from "@fizz/proto";
import { FakeKubeApi, kubeConfigOptions, type KubeObject } from "@fizz/kube-testing";
import { adminClient } from "@fizz/clients";
import { configSchema } from "../config.js";
import { Controller } from "../controller.js";
import { env, eventually, expectFizz, fn, meta, openWatch, pkg, startController } from "../__fixtures__/harness.js";
import { storeContract } from "../__fixtures__/store-contract.js";
import { KubeStore, type ExternalChange } from "./kube-store.js";

const servers: FakeKubeApi[] = [];
const stores: KubeStore[] = [];
afterAll(async () => {
  stores.forEach((s) => s.close());
  await Promise.all(servers.map((s) => s.stop()));
});

async function apiServer(historySize = 1000): Promise<FakeKubeApi> {
  const s = new FakeKubeApi({ historySize, statusSubresources: ["packages.fizz.dev", "canaryconfigs.fizz.dev"] });
  servers.push(s);
  await s.start();
  return s;
}

function kubeConfig(s: FakeKubeApi): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions(kubeConfigOptions(s.url));
  return kc;
}

/**
 * A KubeStore on a stand-in, loaded, recording the external changes it reports. With `adopt`,
 * it plays the controller for Functions: adopts them (a version of its own) and forgets deletions.
 */
async function openStore(s: FakeKubeApi, adopt = false) {
  const changes: string[] = [];
  let version = 100;
  const store: KubeStore = new KubeStore({
    kubeConfig: kubeConfig(s),
    namespace: "fizz",
    retryMs: 50,
    onExternalChange: async (c: ExternalChange) => {
      try {
        if (!adopt || c.kind !== Kind.FUNCTION) return;
        if (c.type === "DELETED") await store.forget(c.kind, c.namespace, c.name, ++version);
        else {
          meta(c.resource).resourceVersion = String(++version);
          await store.put(c.resource!, c.kubeVersion); // ABORTED if it changed again meanwhile
        }
      } finally {
        changes.push(`${c.type} ${c.namespace}/${c.name}${c.unreadable ? " (unreadable)" : ""}`);
      }
    },
  });
  stores.push(store);
  const loaded = await store.load();
  return { store, changes, loaded, crs: kubeConfig(s).makeApiClient(CustomObjectsApi) };
}

const kubeVersionOf = (s: FakeKubeApi, plural: string, name: string) =>
  s.objects.list(`fizz.dev/v1/${plural}`, "default").find((o) => o.metadata?.name === name)?.metadata?.resourceVersion;

const fns = { group: "fizz.dev", version: "v1", plural: "functions", namespace: "default" };
const cr = (name: string, spec: unknown = { environment: { name: "node" }, package: { packageref: { name: "code" } } }) => ({
  apiVersion: "fizz.dev/v1",
  kind: "Function",
  metadata: { name, namespace: "default" },
  spec,
});

storeContract("kubernetes", async () => {
  const s = await apiServer();
  return { start: () => startController({ kube: { server: s.url } }) };
});

describe("kubernetes store", () => {
  it("keeps each resource as a fizz.dev/v1 CR: proto JSON spec, status via /status, Fizz metadata in annotations", async () => {
    const s = await apiServer();
    const c = await startController({ kube: { server: s.url } });
    await c.client.create({ resource: env("node") });
    const p = await c.client.create({ resource: pkg("code") });
    if (p.kind.case === "package") p.kind.value.status = create(PackageStatusSchema, { buildstatus: "succeeded", buildlog: "ok" });
    await c.client.update({ resource: p });
    const f = await c.client.create({ resource: fn("hello") });
    await c.stop();
    const [fnCr] = s.objects.list("fizz.dev/v1/functions", "default");
    expect(fnCr).toMatchObject({
      apiVersion: "fizz.dev/v1",
      kind: "Function",
      metadata: { name: "hello", namespace: "default", annotations: { "fizz.dev/resource-version": meta(f).resourceVersion, "fizz.dev/uid": meta(f).uid, "fizz.dev/generation": "1" } },
      spec: { environment: { name: "node" }, package: { packageref: { name: "code", resourceversion: "3" } } },
    });
    const [pkgCr] = s.objects.list("fizz.dev/v1/packages", "default");
    expect(pkgCr!.status).toMatchObject({ buildstatus: "succeeded", buildlog: "ok" });
  });

  it("reports changes made by others (kubectl); serves what is adopted; its own writes are not reported", async () => {
    const s = await apiServer();
    const { store, changes, crs } = await openStore(s, true);
    const own = await startController({ kube: { server: s.url } });
    await own.client.create({ resource: env("node") });
    await own.client.create({ resource: pkg("code") });
    await own.stop();
    // Another controller's writes are external to this store (a package's status is a second
    // write); not adopted here, so each is still new.
    await eventually(() => changes.length === 3, 5000);
    expect(changes.splice(0)).toEqual(["ADDED default/node", "ADDED default/code", "ADDED default/code"]);
    await crs.createNamespacedCustomObject({ ...fns, body: cr("ext") });
    await eventually(() => changes.length === 1, 5000);
    expect(changes).toEqual(["ADDED default/ext"]);
    // Reported, not served: the owner validates and adopts it with a version of its own.
    expect(await store.get(Kind.ENVIRONMENT, "default", "node")).toBeUndefined();
    const ext = await store.get(Kind.FUNCTION, "default", "ext");
    expect(meta(ext)).toMatchObject({ name: "ext", resourceVersion: "101" });
    const current = (await crs.getNamespacedCustomObject({ ...fns, name: "ext" })) as KubeObject;
    await crs.replaceNamespacedCustomObject({ ...fns, name: "ext", body: { ...current, spec: { environment: { name: "other" } } } });
    await crs.deleteNamespacedCustomObject({ ...fns, name: "ext" });
    await eventually(() => changes.length === 3, 5000);
    expect(changes.slice(1)).toEqual(["MODIFIED default/ext", "DELETED default/ext"]);
    expect(await store.get(Kind.FUNCTION, "default", "ext")).toBeUndefined();
    // Writes of its own (a package's spec and /status are two Kubernetes versions): no report.
    const own2 = await startController({ kube: { server: s.url } });
    const node = await own2.client.get({ kind: Kind.ENVIRONMENT, name: "node" });
    const p = await own2.client.get({ kind: Kind.PACKAGE, name: "code" });
    await own2.stop();
    await store.put(node, kubeVersionOf(s, "environments", "node"));
    if (p.kind.case === "package") p.kind.value.status = create(PackageStatusSchema, { buildstatus: "succeeded" });
    await store.put(p, kubeVersionOf(s, "packages", "code"));
    await crs.createNamespacedCustomObject({ ...fns, body: cr("marker") });
    await eventually(() => changes.length === 4, 5000);
    expect(changes[3]).toBe("ADDED default/marker");
  });

  it("relists after 410 Gone, reporting what it missed, and keeps watching", async () => {
    const s = await apiServer();
    const { store, changes, crs } = await openStore(s, true);
    await crs.createNamespacedCustomObject({ ...fns, body: cr("doomed") });
    await eventually(() => changes.length === 1, 5000);
    // Changes the watch never delivers, then the server expires every watch.
    await s.silently(async () => {
      await crs.deleteNamespacedCustomObject({ ...fns, name: "doomed" });
      await crs.createNamespacedCustomObject({ ...fns, body: cr("missed") });
    });
    expect(changes).toHaveLength(1);
    s.expireWatches();
    await eventually(() => changes.length === 3, 5000);
    expect(changes.slice(1).sort()).toEqual(["ADDED default/missed", "DELETED default/doomed"]);
    expect(store.relists).toBeGreaterThanOrEqual(1);
    await crs.createNamespacedCustomObject({ ...fns, body: cr("after") });
    await eventually(() => changes.length === 4, 5000);
    expect(changes[3]).toBe("ADDED default/after");
    expect((await store.list(Kind.FUNCTION)).map((r) => meta(r).name).sort()).toEqual(["after", "missed"]);
  });

  it("resumes a watch the server ended, from where it stopped", async () => {
    const s = await apiServer();
    const { changes, crs } = await openStore(s);
    await eventually(() => s.watchCount === 8, 5000);
    s.closeWatches();
    await eventually(() => s.watchCount === 8, 5000);
    await crs.createNamespacedCustomObject({ ...fns, body: cr("later") });
    await eventually(() => changes.length === 1, 5000);
    expect(changes).toEqual(["ADDED default/later"]);
    expect(s.requests.filter((r) => r.startsWith("GET /apis/fizz.dev/v1/functions?") && r.includes("watch=true")).length).toBe(2);
  });

  it("fails a write on a stale version with ABORTED and keeps the other writer's change", async () => {
    const s = await apiServer();
    const { store, crs, changes } = await openStore(s, true);
    const c = await startController({ kube: { server: s.url } });
    await c.client.create({ resource: env("node") });
    await c.client.create({ resource: pkg("code") });
    await c.client.create({ resource: fn("hello") });
    await c.stop();
    await eventually(() => changes.includes("ADDED default/hello"), 5000); // adopted
    // Someone edits the CR, and this store has not seen it yet.
    await s.silently(async () => {
      const cur = (await crs.getNamespacedCustomObject({ ...fns, name: "hello" })) as KubeObject;
      await crs.replaceNamespacedCustomObject({ ...fns, name: "hello", body: { ...cur, spec: { environment: { name: "theirs" } } } });
    });
    const old = (await store.get(Kind.FUNCTION, "default", "hello"))!;
    await expectFizz(store.put(old), "ABORTED", /function "default\/hello" was changed in Kubernetes by someone else \(409 Conflict: .*modified/, "CONFLICT");
    expect(((await crs.getNamespacedCustomObject({ ...fns, name: "hello" })) as KubeObject).spec).toEqual({ environment: { name: "theirs" } });
  });

  it("refuses to load a CR of its own that is not a valid resource, naming it", async () => {
    const s = await apiServer();
    const crs = kubeConfig(s).makeApiClient(CustomObjectsApi);
    const bad = cr("bad", { environment: "not an object" });
    await crs.createNamespacedCustomObject({ ...fns, body: { ...bad, metadata: { ...bad.metadata, annotations: { "fizz.dev/resource-version": "7" } } } });
    const store = new KubeStore({ kubeConfig: kubeConfig(s), namespace: "fizz" });
    stores.push(store);
    await expectFizz(store.load(), "DATA_LOSS", /cannot load functions\.fizz\.dev "default\/bad": .*Fix or delete it/);
  });

  it("reports an unreadable CR made outside Fizz instead of failing to load", async () => {
    const s = await apiServer();
    const crs = kubeConfig(s).makeApiClient(CustomObjectsApi);
    await crs.createNamespacedCustomObject({ ...fns, body: cr("bad", { environment: "not an object" }) });
    const { store, changes, loaded } = await openStore(s);
    expect(loaded.resources).toEqual([]);
    await eventually(() => changes.length === 1, 5000);
    expect(changes).toEqual(["ADDED default/bad (unreadable)"]);
    expect(await store.get(Kind.FUNCTION, "default", "bad")).toBeUndefined();
  });

  it("names the API server when it cannot be reached", async () => {
    const s = await apiServer();
    const kc = kubeConfig(s);
    await s.stop();
    const store = new KubeStore({ kubeConfig: kc, namespace: "fizz" });
    await expectFizz(store.load(), "UNAVAILABLE", /Kubernetes API/);
  });

  it("serves the AdminService with FIZZ_STORE=kubernetes: create, get, list and watch", async () => {
    const s = await apiServer();
    const config = loadConfig(configSchema, { FIZZ_ADMIN: "127.0.0.1:0", FIZZ_METRICS: "off", FIZZ_STORE: "kubernetes", FIZZ_KUBE_SERVER: s.url }, "controller");
    const controller = new Controller(config);
    await controller.start();
    const client = adminClient(controller.address!);
    try {
      const w = openWatch(client, {});
      expect((await w.next()).type).toBe(EventType.SYNCED);
      const e = await client.create({ resource: env("node") });
      const seen = await w.next();
      expect([seen.type, meta(seen.resource).name]).toEqual([EventType.ADDED, "node"]);
      expect(await client.get({ kind: Kind.ENVIRONMENT, name: "node" })).toEqual(e);
      expect((await client.list({ kind: Kind.ENVIRONMENT })).items).toEqual([e]);
      expect(s.objects.list("fizz.dev/v1/environments", "default").map((o) => o.metadata?.name)).toEqual(["node"]);
      w.cancel();
    } finally {
      client.close();
      await controller.stop();
    }
  });
});
