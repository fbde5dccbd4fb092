import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Kind } from "@fizz/proto";
import { env, expectFizz, fn, meta, pkg, route, startController, type Running } from "./__fixtures__/harness.js";

let c: Running;
beforeAll(async () => {
  c = await startController();
});
afterAll(() => c.stop());

describe("CRUD", () => {
  it("creates, gets, lists, updates and deletes every kind", async () => {
    const a = c.client;
    const created = [
      await a.create({ resource: env("node") }),
      await a.create({ resource: pkg("code") }),
      await a.create({ resource: fn("hello") }),
      await a.create({ resource: route("hello") }),
    ];
    const kinds = [Kind.ENVIRONMENT, Kind.PACKAGE, Kind.FUNCTION, Kind.HTTP_TRIGGER];
    const names = ["node", "code", "hello", "hello"];
    for (const [i, kind] of kinds.entries()) {
      const got = await a.get({ kind, name: names[i]! });
      expect(got).toEqual(created[i]);
      const list = await a.list({ kind });
      expect(list.items.map((r) => meta(r).name)).toEqual([names[i]]);
    }
    // Update each (a label), newest version first so the stored one matches.
    for (const [i, kind] of [...kinds.entries()].reverse()) {
      const cur = await a.get({ kind, name: names[i]! });
      meta(cur).labels = { touched: "yes" };
      const up = await a.update({ resource: cur });
      expect(meta(up).labels).toEqual({ touched: "yes" });
      expect(Number(meta(up).resourceVersion)).toBeGreaterThan(Number(meta(cur).resourceVersion));
    }
    for (const [i, kind] of [...kinds.entries()].reverse()) {
      const res = await a.delete({ kind, name: names[i]! });
      expect(meta(res.resource).name).toBe(names[i]);
      await expectFizz(a.get({ kind, name: names[i]! }), "NOT_FOUND");
    }
  });

  it("stamps uid, creation time, generation and increasing versions on create; defaults the namespace", async () => {
    const e1 = await c.client.create({ resource: env("stamp-a") });
    const e2 = await c.client.create({ resource: env("stamp-b") });
    const m1 = meta(e1);
    expect(m1.namespace).toBe("default");
    expect(m1.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta(e2).uid).not.toBe(m1.uid);
    expect(Date.parse(m1.creationTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(m1.generation).toBe(1n);
    expect(m1.resourceVersion).toMatch(/^[1-9][0-9]*$/);
    expect(Number(meta(e2).resourceVersion)).toBe(Number(m1.resourceVersion) + 1);
  });

  it("bumps generation only when the spec changes, and keeps uid and creation time", async () => {
    const e = await c.client.create({ resource: env("gen") });
    const relabeled = structuredClone(e);
    meta(relabeled).labels = { a: "b" };
    meta(relabeled).uid = "forged";
    const u1 = await c.client.update({ resource: relabeled });
    expect(meta(u1).generation).toBe(1n);
    expect(meta(u1).uid).toBe(meta(e).uid);
    expect(meta(u1).creationTimestamp).toBe(meta(e).creationTimestamp);
    if (u1.kind.case !== "environment") throw new Error("kind");
    u1.kind.value.spec!.poolsize = 1;
    const u2 = await c.client.update({ resource: u1 });
    expect(meta(u2).generation).toBe(2n);
  });

  it("refuses to create a name that exists, and reports unknown names with kind and namespace", async () => {
    await c.client.create({ resource: env("dup") });
    await expectFizz(c.client.create({ resource: env("dup") }), "ALREADY_EXISTS", 'environment "dup" already exists in namespace "default"');
    await expectFizz(c.client.get({ kind: Kind.FUNCTION, name: "greet" }), "NOT_FOUND", 'function "greet" not found in namespace "default"');
    await expectFizz(c.client.update({ resource: env("ghost") }), "NOT_FOUND", 'environment "ghost" not found');
    await expectFizz(c.client.delete({ kind: Kind.PACKAGE, name: "ghost", namespace: "prod" }), "NOT_FOUND", 'package "ghost" not found in namespace "prod"');
  });

  it("rejects Update and Delete with a stale resourceVersion and accepts an empty one", async () => {
    const e = await c.client.create({ resource: env("occ") });
    const fresh = await c.client.update({ resource: e });
    const err = await expectFizz(c.client.update({ resource: e }), "ABORTED", /re-?read|get it again.*retry/, "CONFLICT");
    expect(err.message).toContain(meta(e).resourceVersion);
    await expectFizz(
      c.client.delete({ kind: Kind.ENVIRONMENT, name: "occ", resourceVersion: meta(e).resourceVersion }),
      "ABORTED",
      undefined,
      "CONFLICT",
    );
    meta(e).resourceVersion = "";
    const blind = await c.client.update({ resource: e });
    expect(Number(meta(blind).resourceVersion)).toBeGreaterThan(Number(meta(fresh).resourceVersion));
    await c.client.delete({ kind: Kind.ENVIRONMENT, name: "occ", resourceVersion: meta(blind).resourceVersion });
  });

  it("keeps namespaces apart and lists across them, filtered by labels", async () => {
    await c.client.create({ resource: env("same", {}, "team-a") });
    await c.client.create({ resource: env("same", {}, "team-b") });
    const lab = env("labeled", {}, "team-a");
    if (lab.kind?.case === "environment") lab.kind.value.metadata!.labels = { app: "shop", tier: "web" };
    await c.client.create({ resource: lab });
    const all = await c.client.list({ kind: Kind.ENVIRONMENT });
    expect(all.items.filter((r) => meta(r).name === "same").map((r) => meta(r).namespace)).toEqual(["team-a", "team-b"]);
    const a = await c.client.list({ kind: Kind.ENVIRONMENT, namespace: "team-a" });
    expect(a.items.map((r) => meta(r).name)).toEqual(["labeled", "same"]);
    expect(Number(a.resourceVersion)).toBeGreaterThanOrEqual(Number(meta(a.items[0]).resourceVersion));
    const shop = await c.client.list({ kind: Kind.ENVIRONMENT, labels: { app: "shop" } });
    expect(shop.items.map((r) => meta(r).name)).toEqual(["labeled"]);
    expect((await c.client.list({ kind: Kind.ENVIRONMENT, labels: { app: "shop", tier: "db" } })).items).toEqual([]);
  });

  it("serializes concurrent writes: unique versions, and one winner among racing updates", async () => {
    const made = await Promise.all(Array.from({ length: 20 }, (_, i) => c.client.create({ resource: env(`race-${i}`) })));
    const versions = made.map((r) => Number(meta(r).resourceVersion)).sort((x, y) => x - y);
    expect(new Set(versions).size).toBe(20);
    expect(versions[19]! - versions[0]!).toBe(19);
    const base = made[0]!;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => c.client.update({ resource: base })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.reason)).toEqual(Array(4).fill("CONFLICT"));
  });

  it("asks for a kind and a name", async () => {
    await expectFizz(c.client.get({ kind: Kind.UNSPECIFIED, name: "x" }), "INVALID_ARGUMENT", "kind is required");
    await expectFizz(c.client.get({ kind: Kind.FUNCTION, name: "" }), "INVALID_ARGUMENT", "function name is required");
    await expectFizz(c.client.create({}), "INVALID_ARGUMENT", /resource is required/);
    await expectFizz(
      c.client.create({ resource: { kind: { case: "environment", value: { spec: { runtime: { image: "nodejs" } } } } } }),
      "INVALID_ARGUMENT",
      "metadata.name is required",
    );
  });
});
