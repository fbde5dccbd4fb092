import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { EventType, Kind, type Resource } from "@fizz/proto";
import { env, expectFizz, fn, meta, openWatch, pkg, route, startController, type Running } from "./__fixtures__/harness.js";

let c: Running;
beforeAll(async () => {
  c = await startController();
});
afterAll(() => c.stop());

const pkgRefVersion = (r: Resource) => (r.kind.case === "function" ? r.kind.value.spec?.package?.packageref?.resourceversion : undefined);

describe("references", () => {
  it("refuses a function whose environment or package does not exist", async () => {
    await expectFizz(
      c.client.create({ resource: fn("orphan") }),
      "FAILED_PRECONDITION",
      'function "orphan" refers to environment "node" and package "code", which do not exist in namespace "default"; create them first',
    );
    await c.client.create({ resource: env("node") });
    await expectFizz(c.client.create({ resource: fn("orphan") }), "FAILED_PRECONDITION", 'package "code", which does not exist');
  });

  it("looks references up in the function's own namespace", async () => {
    await c.client.create({ resource: env("node", {}, "ns-a") });
    await c.client.create({ resource: pkg("code", {}, "ns-a") });
    await expectFizz(c.client.create({ resource: fn("f", {}, "ns-b") }), "FAILED_PRECONDITION", 'in namespace "ns-b"');
    const f = await c.client.create({ resource: fn("f", {}, "ns-a") });
    expect(f.kind.case === "function" && f.kind.value.spec?.environment?.namespace).toBe("ns-a");
  });

  it("sets packageref.resourceversion to the package's version on create and update", async () => {
    const p = await c.client.create({ resource: pkg("code") });
    const f = await c.client.create({ resource: fn("uses-code") });
    expect(pkgRefVersion(f)).toBe(meta(p).resourceVersion);
    if (f.kind.case !== "function") throw new Error("kind");
    f.kind.value.spec!.package!.packageref!.resourceversion = "999";
    const u = await c.client.update({ resource: f });
    expect(pkgRefVersion(u)).toBe(meta(p).resourceVersion);
  });

  it("refuses to delete an environment or package in use, naming the users", async () => {
    await c.client.create({ resource: env("busy") });
    await c.client.create({ resource: pkg("busy-code", { environment: { name: "busy" } }) });
    await c.client.create({ resource: fn("busy-fn", { environment: { name: "busy" }, package: { packageref: { name: "busy-code" } } }) });
    await expectFizz(
      c.client.delete({ kind: Kind.ENVIRONMENT, name: "busy" }),
      "FAILED_PRECONDITION",
      'environment "busy" in namespace "default" is used by function "busy-fn", package "busy-code"; delete or change them first',
      "IN_USE",
    );
    await expectFizz(c.client.delete({ kind: Kind.PACKAGE, name: "busy-code" }), "FAILED_PRECONDITION", 'used by function "busy-fn"; delete or change it first');
    // A function may go even while a trigger points at it; then the package and the environment.
    await c.client.create({ resource: route("busy-route", { functionref: { name: "busy-fn" } }) });
    await c.client.delete({ kind: Kind.FUNCTION, name: "busy-fn" });
    await c.client.delete({ kind: Kind.PACKAGE, name: "busy-code" });
    await c.client.delete({ kind: Kind.ENVIRONMENT, name: "busy" });
    await expectFizz(c.client.get({ kind: Kind.ENVIRONMENT, name: "busy" }), "NOT_FOUND");
  });
});

describe("route conflicts", () => {
  it("refuses a second trigger on the same host, path and method, naming the first", async () => {
    await c.client.create({ resource: route("r1", { relativeurl: "/shop/{id}", methods: ["GET", "POST"] }) });
    await expectFizz(
      c.client.create({ resource: route("r2", { relativeurl: "/shop/{item}", methods: ["POST"] }) }),
      "ALREADY_EXISTS",
      /httptrigger "r1" in namespace "default" already serves \/shop\/\{id\} \(GET,POST\)/,
    );
    // Across namespaces too: the router serves one URL space.
    await expectFizz(c.client.create({ resource: route("r2", { relativeurl: "/shop/{id}", methods: [] }, "other") }), "ALREADY_EXISTS", /"r1"/);
  });

  it("allows the same path with other methods, another host, or as a prefix", async () => {
    await c.client.create({ resource: route("r3", { relativeurl: "/shop/{id}", methods: ["DELETE"] }) });
    await c.client.create({ resource: route("r4", { relativeurl: "/shop/{id}", methods: ["GET"], host: "shop.example.com" }) });
    await c.client.create({ resource: route("r5", { relativeurl: "", prefix: "/shop/{id}", methods: ["GET"] }) });
    await expectFizz(c.client.create({ resource: route("r6", { relativeurl: "", prefix: "/shop/{x}" }) }), "ALREADY_EXISTS", /"r5"/);
  });

  it("treats an empty method list as every method", async () => {
    await c.client.create({ resource: route("all", { relativeurl: "/all", methods: [] }) });
    await expectFizz(c.client.create({ resource: route("one", { relativeurl: "/all", methods: ["OPTIONS"] }) }), "ALREADY_EXISTS", /"all"/);
  });

  it("lets a trigger be updated in place without conflicting with itself", async () => {
    const r = await c.client.get({ kind: Kind.HTTP_TRIGGER, name: "r1" });
    meta(r).labels = { v: "2" };
    const u = await c.client.update({ resource: r });
    expect(meta(u).labels).toEqual({ v: "2" });
    if (u.kind.case !== "httpTrigger") throw new Error("kind");
    u.kind.value.spec!.methods = ["DELETE"];
    await expectFizz(c.client.update({ resource: u }), "ALREADY_EXISTS", /"r3"/);
  });
});

describe("package updates", () => {
  it("update every function using the package, each with a new version and a MODIFIED event", async () => {
    await c.client.create({ resource: pkg("shared") });
    const a = await c.client.create({ resource: fn("pa", { package: { packageref: { name: "shared" } } }) });
    const b = await c.client.create({ resource: fn("pb", { package: { packageref: { name: "shared" } } }) });
    const other = await c.client.create({ resource: fn("pc") });
    const w = openWatch(c.client, { kinds: [Kind.FUNCTION, Kind.PACKAGE], resourceVersion: meta(other).resourceVersion });
    const p = await c.client.get({ kind: Kind.PACKAGE, name: "shared" });
    if (p.kind.case !== "package") throw new Error("kind");
    p.kind.value.spec!.deployment!.literal = new TextEncoder().encode("module.exports = async () => ({ body: 'v2' })");
    const up = await c.client.update({ resource: p });
    const pv = meta(up).resourceVersion;

    const first = await w.next();
    expect(first.type).toBe(EventType.MODIFIED);
    expect(meta(first.resource).name).toBe("shared");
    const fns = [await w.next(), await w.next()];
    w.cancel();
    expect(fns.map((e) => [e.type, meta(e.resource).name]).sort()).toEqual([
      [EventType.MODIFIED, "pa"],
      [EventType.MODIFIED, "pb"],
    ]);
    for (const e of fns) {
      expect(pkgRefVersion(e.resource!)).toBe(pv);
      expect(Number(e.resourceVersion)).toBeGreaterThan(Number(pv));
      expect(meta(e.resource).resourceVersion).toBe(e.resourceVersion);
    }
    const pa = await c.client.get({ kind: Kind.FUNCTION, name: "pa" });
    expect(pkgRefVersion(pa)).toBe(pv);
    expect(meta(pa).generation).toBe(meta(a).generation + 1n);
    expect(Number(meta(pa).resourceVersion)).toBeGreaterThan(Number(meta(b).resourceVersion));
    expect(await c.client.get({ kind: Kind.FUNCTION, name: "pc" })).toEqual(other);
  });

  it("refuses a recorder whose function or triggers do not exist, naming them", async () => {
    const recorder = (name: string, spec: Record<string, unknown>) => ({
      kind: { case: "recorder" as const, value: { metadata: { name }, spec: { enabled: true, ...spec } } },
    });
    await expectFizz(
      c.client.create({ resource: recorder("rec", { function: "nope", triggers: ["gone"] }) }),
      "FAILED_PRECONDITION",
      'recorder "rec" refers to function "nope" and httptrigger "gone", which do not exist in namespace "default"; create them first',
      "MISSING_REFERENCE",
    );
    await c.client.create({ resource: pkg("code") }).catch(() => undefined);
    await c.client.create({ resource: fn("recorded") });
    await expectFizz(c.client.create({ resource: recorder("rec", { function: "recorded", triggers: ["gone"] }) }), "FAILED_PRECONDITION", 'httptrigger "gone", which does not exist');
    await c.client.create({ resource: route("gone", { functionref: { name: "recorded" } }) });
    const ok = await c.client.create({ resource: recorder("rec", { function: "recorded", triggers: ["gone"] }) });
    expect(meta(ok).name).toBe("rec");
    // Another namespace's function does not count.
    await expectFizz(c.client.create({ resource: { kind: { case: "recorder", value: { metadata: { name: "rec", namespace: "ns-b" }, spec: { function: "recorded" } } } } }), "FAILED_PRECONDITION", 'in namespace "ns-b"');
  });
});
