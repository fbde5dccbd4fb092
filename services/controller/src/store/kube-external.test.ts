// Changes made straight to the CRs (what kubectl does) reach every watcher: an Informer
// (libs/clients) on a controller with FIZZ_STORE=kubernetes, against the stand-in API server.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { EventType, Kind, type Resource } from "@fizz/proto";
import { loadConfig } from "@fizz/common";
import { FakeKubeApi, kubeConfigOptions, type KubeObject } from "@fizz/kube-testing";
import { adminClient, Informer, type AdminClient, type InformerEvent } from "@fizz/clients";
import { configSchema } from "../config.js";
import { Controller } from "../controller.js";
import { env, eventually, meta, openWatch, pkg } from "../__fixtures__/harness.js";

const fns = { group: "fizz.dev", version: "v1", plural: "functions", namespace: "default" };
const spec = (extra: Record<string, unknown> = {}) => ({ environment: { name: "node" }, package: { packageref: { name: "code" } }, ...extra });
const cr = (name: string, s: unknown) => ({ apiVersion: "fizz.dev/v1", kind: "Function", metadata: { name, namespace: "default" }, spec: s });

let api: FakeKubeApi;
let crs: CustomObjectsApi;
let controller: Controller;
let client: AdminClient;
let informer: Informer;
const events: string[] = [];

async function startAt(address: string): Promise<Controller> {
  const config = loadConfig(configSchema, { FIZZ_ADMIN: address, FIZZ_METRICS: "off", FIZZ_STORE: "kubernetes", FIZZ_KUBE_SERVER: api.url }, "controller");
  const c = new Controller(config);
  await c.start();
  return c;
}

/** Resolves with the Informer's next event matching `want`; fails after ms. */
function nextEvent(want: (e: InformerEvent) => boolean, ms = 10_000): Promise<InformerEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      informer.off("event", on);
      reject(new Error(`no matching informer event within ${ms} ms; saw ${JSON.stringify(events)}`));
    }, ms);
    const on = (e: InformerEvent) => {
      if (!want(e)) return;
      clearTimeout(timer);
      informer.off("event", on);
      resolve(e);
    };
    informer.on("event", on);
  });
}
const named = (type: InformerEvent["type"], name: string) => (e: InformerEvent) => e.type === type && meta(e.resource).name === name;
const crOf = async (name: string) => (await crs.getNamespacedCustomObject({ ...fns, name })) as KubeObject;
const rejection = (o: KubeObject) => o.metadata?.annotations?.["fizz.dev/rejected"];
const versionOf = (r: Resource | undefined) => Number(meta(r).resourceVersion);

beforeAll(async () => {
  api = new FakeKubeApi({ statusSubresources: ["packages.fizz.dev", "canaryconfigs.fizz.dev"] });
  await api.start();
  const kc = new KubeConfig();
  kc.loadFromOptions(kubeConfigOptions(api.url));
  crs = kc.makeApiClient(CustomObjectsApi);
  controller = await startAt("127.0.0.1:0");
  client = adminClient(controller.address!);
  await client.create({ resource: env("node") });
  await client.create({ resource: pkg("code") });
  informer = new Informer(client, [Kind.FUNCTION]);
  informer.on("event", (e) => events.push(`${e.type} ${meta(e.resource).name}@${meta(e.resource).resourceVersion}`));
  await informer.start();
});

afterAll(async () => {
  informer?.stop();
  client?.close();
  await controller?.stop();
  await api?.stop();
});

describe("changes made in Kubernetes (kubectl)", () => {
  let lastVersion = 0;

  it("reach an Informer: created, updated and deleted, each with a new Fizz version written back to the CR", async () => {
    const added = nextEvent(named("added", "ext"));
    await crs.createNamespacedCustomObject({ ...fns, body: cr("ext", spec()) });
    const a = (await added).resource;
    expect(versionOf(a)).toBeGreaterThan(2);
    expect(meta(a)).toMatchObject({ uid: expect.stringMatching(/./), generation: 1n });
    // Validated and normalized as an API write is (the reference's namespace filled in).
    if (a.kind.case !== "function") throw new Error("kind");
    expect(a.kind.value.spec?.environment).toMatchObject({ name: "node", namespace: "default" });
    await eventually(() => api.objects.list("fizz.dev/v1/functions", "default")[0]?.metadata?.annotations?.["fizz.dev/resource-version"] === meta(a).resourceVersion, 5000);
    expect(await client.get({ kind: Kind.FUNCTION, name: "ext" })).toEqual(a);

    const modified = nextEvent(named("modified", "ext"));
    const cur = await crOf("ext");
    await crs.replaceNamespacedCustomObject({ ...fns, name: "ext", body: { ...cur, spec: spec({ functionTimeout: 30 }) } });
    const m = (await modified).resource;
    expect(versionOf(m)).toBeGreaterThan(versionOf(a));
    expect(meta(m)).toMatchObject({ uid: meta(a).uid, generation: 2n });

    const deleted = nextEvent(named("deleted", "ext"));
    await crs.deleteNamespacedCustomObject({ ...fns, name: "ext" });
    const d = (await deleted).resource;
    expect(versionOf(d)).toBeGreaterThan(versionOf(m));
    expect(informer.get(Kind.FUNCTION, "default", "ext")).toBeUndefined();
    await expect(client.get({ kind: Kind.FUNCTION, name: "ext" })).rejects.toThrow(/not found/);
    expect(events.filter((e) => e.includes(" ext@"))).toEqual([`added ext@${versionOf(a)}`, `modified ext@${versionOf(m)}`, `deleted ext@${versionOf(d)}`]);
  });

  it("reject an invalid object with the reason on the CR, keep serving the previous version, and take the fix", async () => {
    // A new invalid one: never served.
    await crs.createNamespacedCustomObject({ ...fns, body: cr("bad", spec({ environment: { name: "" } })) });
    await eventually(() => api.objects.list("fizz.dev/v1/functions", "default").some((o) => o.metadata?.name === "bad" && rejection(o)), 5000);
    expect(rejection(await crOf("bad"))).toBe('function "bad": spec.environment.name is required');

    // A valid one made invalid: the previous version stays.
    const added = nextEvent(named("added", "good"));
    await crs.createNamespacedCustomObject({ ...fns, body: cr("good", spec()) });
    const good = (await added).resource;
    await crs.replaceNamespacedCustomObject({ ...fns, name: "good", body: { ...(await crOf("good")), spec: spec({ concurrency: -1 }) } });
    await eventually(() => api.objects.list("fizz.dev/v1/functions", "default").some((o) => o.metadata?.name === "good" && rejection(o)), 5000);
    expect(rejection(await crOf("good"))).toBe('function "good": spec.concurrency must be 0 or more (0 means the default), got -1');
    expect(await client.get({ kind: Kind.FUNCTION, name: "good" })).toEqual(good);
    await expect(client.get({ kind: Kind.FUNCTION, name: "bad" })).rejects.toThrow(/not found/);

    // The fix is served, and the rejection note goes.
    const fixed = nextEvent(named("modified", "good"));
    await crs.replaceNamespacedCustomObject({ ...fns, name: "good", body: { ...(await crOf("good")), spec: spec({ concurrency: 5 }) } });
    const f = (await fixed).resource;
    expect(versionOf(f)).toBeGreaterThan(versionOf(good));
    await eventually(() => api.objects.list("fizz.dev/v1/functions", "default").some((o) => o.metadata?.name === "good" && !rejection(o)), 5000);
    // Only valid states were ever seen by the watcher.
    expect(events.filter((e) => / (good|bad)@/.test(e))).toEqual([`added good@${versionOf(good)}`, `modified good@${versionOf(f)}`]);
    lastVersion = Number((await client.list({ kind: Kind.FUNCTION })).resourceVersion);
  });

  it("agree after a controller restart: a resuming watcher gets neither duplicates nor gaps", async () => {
    const address = controller.address!;
    const before = new Map(informer.list(Kind.FUNCTION).map((r) => [meta(r).name, meta(r).resourceVersion]));
    const rejectedCr = (await crOf("bad")).metadata?.resourceVersion;
    const seen = events.length;
    await controller.stop();
    // Made while no controller runs: adopted at start with the next version.
    await crs.createNamespacedCustomObject({ ...fns, body: cr("offline", spec()) });
    const adopted = nextEvent(named("added", "offline"));
    controller = await startAt(address);

    // The Informer reconnects and resumes from its last version: only the new function arrives.
    const o = (await adopted).resource;
    expect(versionOf(o)).toBe(lastVersion + 1);
    const after = informer.list(Kind.FUNCTION).filter((r) => meta(r).name !== "offline");
    expect(new Map(after.map((r) => [meta(r).name, meta(r).resourceVersion]))).toEqual(before);
    // A watch resuming from the version before the restart replays exactly that change.
    const w = openWatch(client, { kinds: [Kind.FUNCTION], resourceVersion: String(lastVersion) });
    const ev = await w.next(10_000);
    expect([ev.type, meta(ev.resource).name, ev.resourceVersion]).toEqual([EventType.ADDED, "offline", String(lastVersion + 1)]);
    w.cancel();
    // The rejected CR is still not served, and not written again.
    await expect(client.get({ kind: Kind.FUNCTION, name: "bad" })).rejects.toThrow(/not found/);
    expect((await crOf("bad")).metadata?.resourceVersion).toBe(rejectedCr);

    // And later changes carry on from there.
    const later = nextEvent(named("added", "later"));
    await crs.createNamespacedCustomObject({ ...fns, body: cr("later", spec()) });
    expect(versionOf((await later).resource)).toBe(lastVersion + 2);
    expect(events.slice(seen)).toEqual([`added offline@${lastVersion + 1}`, `added later@${lastVersion + 2}`]);
  });
});
