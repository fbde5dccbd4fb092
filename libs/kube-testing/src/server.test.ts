// The stand-in API server, driven through the real @kubernetes/client-node client.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from "@kubernetes/client-node";
import { FakeKubeApi, kubeConfigOptions, type KubeObject } from "./index.js";

const at = { group: "fizz.dev", version: "v1", namespace: "default", plural: "packages" };
const pkg = (name: string, spec: unknown = { a: 1 }) => ({ apiVersion: "fizz.dev/v1", kind: "Package", metadata: { name }, spec });

let api: FakeKubeApi;
let kc: KubeConfig;
let crs: CustomObjectsApi;
const watches: AbortController[] = [];

beforeEach(async () => {
  api = new FakeKubeApi({ historySize: 5, statusSubresources: ["packages.fizz.dev"] });
  kc = new KubeConfig();
  kc.loadFromOptions(kubeConfigOptions(await api.start()));
  crs = kc.makeApiClient(CustomObjectsApi);
});
afterEach(async () => {
  watches.splice(0).forEach((w) => w.abort());
  await api.stop();
});

/** The Status an API call failed with. */
async function failure(p: Promise<unknown>): Promise<{ code: number; reason: string; message: string }> {
  const err = await p.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  const e = err as ApiException<string>;
  const status = JSON.parse(e.body) as { kind: string; code: number; reason: string; message: string };
  expect([status.kind, status.code]).toEqual(["Status", e.code]);
  return status;
}

/** A Watch whose events (and end) can be awaited one at a time. */
async function watch(path: string, params: Record<string, unknown>) {
  const events: { type: string; object: KubeObject }[] = [];
  let wake = () => {};
  let ended: unknown = undefined;
  const w = await new Watch(kc).watch(
    path,
    params,
    (type, object) => {
      events.push({ type, object: object as KubeObject });
      wake();
    },
    (err) => {
      ended = err ?? "closed";
      wake();
    },
  );
  watches.push(w);
  const next = async (n: number) => {
    const deadline = Date.now() + 5000;
    while (events.length < n && ended === undefined) {
      if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} watch events arrived`);
      await new Promise<void>((r) => ((wake = r), setTimeout(r, 100).unref()));
    }
    return events.slice(0, n).map((e) => `${e.type} ${e.object.metadata?.name ?? ""}@${e.object.metadata?.resourceVersion ?? (e.object as { code?: number }).code}`);
  };
  return { events, next, ended: () => ended };
}

describe("stand-in Kubernetes API server", () => {
  it("creates, gets, lists, replaces and deletes with one global resourceVersion", async () => {
    const a = (await crs.createNamespacedCustomObject({ ...at, body: pkg("a") })) as KubeObject;
    expect(a.metadata).toMatchObject({ name: "a", namespace: "default", resourceVersion: "1", generation: 1 });
    await crs.createNamespacedCustomObject({ ...at, namespace: "web", body: pkg("b") });
    const got = (await crs.getNamespacedCustomObject({ ...at, name: "a" })) as KubeObject;
    expect(got).toEqual(a);
    const list = (await crs.listClusterCustomObject({ group: "fizz.dev", version: "v1", plural: "packages" })) as { metadata: { resourceVersion: string }; items: KubeObject[] };
    expect(list.metadata.resourceVersion).toBe("2");
    expect(list.items.map((i) => i.metadata?.name).sort()).toEqual(["a", "b"]);
    const inWeb = (await crs.listNamespacedCustomObject({ ...at, namespace: "web" })) as { items: KubeObject[] };
    expect(inWeb.items.map((i) => i.metadata?.name)).toEqual(["b"]);
    const replaced = (await crs.replaceNamespacedCustomObject({ ...at, name: "a", body: { ...got, spec: { a: 2 } } })) as KubeObject;
    expect(replaced.metadata).toMatchObject({ resourceVersion: "3", generation: 2, uid: a.metadata?.uid });
    const deleted = (await crs.deleteNamespacedCustomObject({ ...at, name: "a" })) as KubeObject;
    expect(deleted.metadata?.resourceVersion).toBe("4");
    expect(await failure(crs.getNamespacedCustomObject({ ...at, name: "a" }))).toMatchObject({ code: 404, reason: "NotFound" });
  });

  it("answers bad requests with Status objects: AlreadyExists, Conflict, missing version, NotFound", async () => {
    const a = (await crs.createNamespacedCustomObject({ ...at, body: pkg("a") })) as KubeObject;
    expect(await failure(crs.createNamespacedCustomObject({ ...at, body: pkg("a") }))).toMatchObject({ code: 409, reason: "AlreadyExists" });
    await crs.replaceNamespacedCustomObject({ ...at, name: "a", body: { ...a, spec: { a: 2 } } });
    const stale = await failure(crs.replaceNamespacedCustomObject({ ...at, name: "a", body: { ...a, spec: { a: 3 } } }));
    expect(stale).toMatchObject({ code: 409, reason: "Conflict" });
    expect(stale.message).toMatch(/the object has been modified/);
    const { resourceVersion: _, ...noVersion } = a.metadata!;
    expect(await failure(crs.replaceNamespacedCustomObject({ ...at, name: "a", body: { ...a, metadata: noVersion } }))).toMatchObject({ code: 422, reason: "Invalid" });
    expect(await failure(crs.deleteNamespacedCustomObject({ ...at, name: "nope" }))).toMatchObject({ code: 404 });
    expect(await failure(crs.createNamespacedCustomObject({ ...at, body: { spec: {} } }))).toMatchObject({ code: 422, reason: "Invalid" });
    expect((await crs.getNamespacedCustomObject({ ...at, name: "a" })) as KubeObject).toMatchObject({ spec: { a: 2 } });
  });

  it("merge-patches (null deletes, stale version conflicts) and keeps status behind /status", async () => {
    await crs.createNamespacedCustomObject({ ...at, body: { ...pkg("a", { a: 1, b: { c: 1, d: 2 } }), status: { buildstatus: "ignored" } } });
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    const p = (await crs.patchNamespacedCustomObject({ ...at, name: "a", body: { spec: { b: { c: null, e: 3 } } } }, merge)) as KubeObject;
    expect(p.spec).toEqual({ a: 1, b: { d: 2, e: 3 } });
    expect(p.status).toBeUndefined();
    expect(await failure(crs.patchNamespacedCustomObject({ ...at, name: "a", body: { metadata: { resourceVersion: "1" }, spec: {} } }, merge))).toMatchObject({ code: 409 });
    // Strategic merge patch (kubectl's default) is not spoken.
    expect(await failure(crs.patchNamespacedCustomObject({ ...at, name: "a", body: {} }, setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch)))).toMatchObject({ code: 415 });
    const s = (await crs.replaceNamespacedCustomObjectStatus({ ...at, name: "a", body: { ...p, spec: { changed: true }, status: { buildstatus: "succeeded" } } })) as KubeObject;
    expect([s.spec, s.status]).toEqual([p.spec, { buildstatus: "succeeded" }]);
    const r = (await crs.replaceNamespacedCustomObject({ ...at, name: "a", body: { ...s, status: { buildstatus: "lost" } } })) as KubeObject;
    expect(r.status).toEqual({ buildstatus: "succeeded" });
  });

  it("serves core objects the same way", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: "fizz", body: { metadata: { name: "c" }, data: { k: "1" } } });
    // Core objects allow an unconditional replace.
    await core.replaceNamespacedConfigMap({ name: "c", namespace: "fizz", body: { metadata: { name: "c" }, data: { k: "2" } } });
    expect((await core.readNamespacedConfigMap({ name: "c", namespace: "fizz" })).data).toEqual({ k: "2" });
    expect((await core.listNamespacedConfigMap({ namespace: "fizz" })).items).toHaveLength(1);
    await core.deleteNamespacedConfigMap({ name: "c", namespace: "fizz" });
    expect((await core.listNamespacedConfigMap({ namespace: "fizz" })).items).toHaveLength(0);
  });

  it("watches from a resourceVersion with bookmarks, across namespaces or in one", async () => {
    await crs.createNamespacedCustomObject({ ...at, body: pkg("a") });
    await crs.createNamespacedCustomObject({ ...at, body: pkg("b") });
    const all = await watch("/apis/fizz.dev/v1/packages", { resourceVersion: "1", allowWatchBookmarks: true });
    const web = await watch("/apis/fizz.dev/v1/namespaces/web/packages", {});
    expect(await all.next(2)).toEqual(["ADDED b@2", "BOOKMARK @2"]);
    await crs.createNamespacedCustomObject({ ...at, namespace: "web", body: pkg("c") });
    await crs.deleteNamespacedCustomObject({ ...at, name: "a" });
    expect(await all.next(4)).toEqual(["ADDED b@2", "BOOKMARK @2", "ADDED c@3", "DELETED a@4"]);
    expect(await web.next(1)).toEqual(["ADDED c@3"]);
    api.bookmark();
    expect((await all.next(5))[4]).toBe("BOOKMARK @4");
    expect(web.events).toHaveLength(1); // no bookmarks unless asked for
    // Without a resourceVersion a watch starts with the current objects as ADDED.
    const fresh = await watch("/apis/fizz.dev/v1/packages", {});
    expect((await fresh.next(2)).sort()).toEqual(["ADDED b@2", "ADDED c@3"]);
    api.closeWatches();
    await all.next(99);
    expect(all.ended()).toBe("closed"); // a clean end, as on a server-side timeout
  });

  it("expires resourceVersions older than its history: an ERROR event with 410", async () => {
    for (const n of ["a", "b", "c", "d", "e", "f", "g"]) await crs.createNamespacedCustomObject({ ...at, body: pkg(n) });
    // 7 changes, history of 5: versions 2.. can resume, 1 cannot.
    const ok = await watch("/apis/fizz.dev/v1/packages", { resourceVersion: "2" });
    expect(await ok.next(5)).toEqual(["ADDED c@3", "ADDED d@4", "ADDED e@5", "ADDED f@6", "ADDED g@7"]);
    const old = await watch("/apis/fizz.dev/v1/packages", { resourceVersion: "1" });
    expect(await old.next(1)).toEqual(["ERROR @410"]);
    expect(old.events[0]!.object).toMatchObject({ kind: "Status", reason: "Expired", code: 410 });
    await old.next(2);
    expect(old.ended()).toBe("closed");
    api.objects.compact();
    const compacted = await watch("/apis/fizz.dev/v1/packages", { resourceVersion: "6" });
    expect(await compacted.next(1)).toEqual(["ERROR @410"]);
  });

  it("filters list and watch by labelSelector; a relabeled object leaves (DELETED) or joins (ADDED) a watch", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const cm = (name: string, labels: Record<string, string>) => core.createNamespacedConfigMap({ namespace: "fn", body: { metadata: { name, labels } } });
    await cm("a", { pool: "yes", env: "node" });
    await cm("b", { pool: "no", env: "node" });
    await cm("c", { env: "python" });
    const names = async (labelSelector: string) => (await core.listNamespacedConfigMap({ namespace: "fn", labelSelector })).items.map((i) => i.metadata?.name).sort();
    expect(await names("pool=yes")).toEqual(["a"]);
    expect(await names("pool==yes,env=node")).toEqual(["a"]);
    expect(await names("pool!=yes")).toEqual(["b", "c"]);
    expect(await names("pool")).toEqual(["a", "b"]);
    expect(await names("!pool")).toEqual(["c"]);
    expect(await names("env in (node, python),pool notin (no)")).toEqual(["a", "c"]);
    expect(await names("env in (ruby)")).toEqual([]);
    expect(await failure(core.listNamespacedConfigMap({ namespace: "fn", labelSelector: "pool=(x" }))).toMatchObject({ code: 400, reason: "BadRequest" });

    const pool = await watch("/api/v1/namespaces/fn/configmaps", { labelSelector: "pool=yes" });
    expect(await pool.next(1)).toEqual(["ADDED a@1"]);
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    await core.patchNamespacedConfigMap({ name: "a", namespace: "fn", body: { metadata: { labels: { pool: "no" } } } }, merge);
    await core.patchNamespacedConfigMap({ name: "b", namespace: "fn", body: { metadata: { labels: { pool: "yes" } } } }, merge);
    await core.patchNamespacedConfigMap({ name: "c", namespace: "fn", body: { data: { k: "v" } } }, merge); // never matches: unseen
    await core.patchNamespacedConfigMap({ name: "b", namespace: "fn", body: { data: { k: "v" } } }, merge);
    expect(await pool.next(4)).toEqual(["ADDED a@1", "DELETED a@4", "ADDED b@5", "MODIFIED b@7"]);
    // Resuming replays history through the same filter.
    const resumed = await watch("/api/v1/namespaces/fn/configmaps", { labelSelector: "pool=yes", resourceVersion: "3" });
    expect(await resumed.next(3)).toEqual(["DELETED a@4", "ADDED b@5", "MODIFIED b@7"]);
  });

  it("names an object from generateName", async () => {
    const made = (await crs.createNamespacedCustomObject({ ...at, body: { ...pkg(""), metadata: { generateName: "pool-" } } })) as KubeObject;
    expect(made.metadata?.name).toMatch(/^pool-[0-9a-f]{5}$/);
  });

  it("applies JSON patches (the client's default patch type), with test ops as optimistic locks", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const made = await core.createNamespacedConfigMap({ namespace: "fn", body: { metadata: { name: "c", labels: { pool: "yes" } }, data: { a: "1", "x/y": "2" } } });
    const rv = made.metadata!.resourceVersion!;
    const patched = await core.patchNamespacedConfigMap({
      name: "c",
      namespace: "fn",
      body: [
        { op: "test", path: "/metadata/resourceVersion", value: rv },
        { op: "replace", path: "/metadata/labels/pool", value: "no" },
        { op: "add", path: "/metadata/labels/owner", value: "me" },
        { op: "remove", path: "/data/x~1y" },
        { op: "copy", from: "/data/a", path: "/data/b" },
        { op: "move", from: "/data/a", path: "/data/c" },
      ],
    });
    expect([patched.metadata!.labels, patched.data]).toEqual([{ pool: "no", owner: "me" }, { b: "1", c: "1" }]);
    // A stale version in a test op, a missing path, and a malformed patch change nothing.
    expect(await failure(core.patchNamespacedConfigMap({ name: "c", namespace: "fn", body: [{ op: "test", path: "/metadata/resourceVersion", value: rv }, { op: "remove", path: "/data" }] }))).toMatchObject({ code: 422 });
    expect(await failure(core.patchNamespacedConfigMap({ name: "c", namespace: "fn", body: [{ op: "replace", path: "/data/nope", value: "1" }] }))).toMatchObject({ code: 422 });
    expect(await failure(core.patchNamespacedConfigMap({ name: "c", namespace: "fn", body: [{ op: "frob", path: "/data" }] }))).toMatchObject({ code: 400 });
    expect(await failure(core.patchNamespacedConfigMap({ name: "c", namespace: "fn", body: [{ op: "replace", path: "/metadata/resourceVersion", value: rv }] }))).toMatchObject({ code: 409, reason: "Conflict" });
    expect((await core.readNamespacedConfigMap({ name: "c", namespace: "fn" })).data).toEqual({ b: "1", c: "1" });
  });
});
