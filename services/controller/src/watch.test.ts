import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { EventType, Kind } from "@fizz/proto";
import { Informer } from "@fizz/clients";
import { env, eventually, expectFizz, fn, meta, openWatch, pkg, startController, type Running } from "./__fixtures__/harness.js";

let c: Running;
const opened: Array<{ cancel(): void }> = [];
const watch = (req: Parameters<typeof openWatch>[1]) => {
  const w = openWatch(c.client, req);
  opened.push(w);
  return w;
};

beforeAll(async () => {
  c = await startController({ historySize: 5 });
  await c.client.create({ resource: env("node") });
  await c.client.create({ resource: pkg("code") });
  await c.client.create({ resource: fn("hello") });
  await c.client.create({ resource: env("py", {}, "ml") });
});
afterEach(() => opened.splice(0).forEach((w) => w.cancel()));
afterAll(() => c.stop());

describe("watch", () => {
  it("lists current resources as ADDED, then SYNCED at the current version, then live changes", async () => {
    const w = watch({ kinds: [Kind.ENVIRONMENT, Kind.FUNCTION], namespace: "default" });
    const initial = [await w.next(), await w.next()];
    expect(initial.map((e) => [e.type, meta(e.resource).name])).toEqual([
      [EventType.ADDED, "node"],
      [EventType.ADDED, "hello"],
    ]);
    const synced = await w.next();
    expect(synced.type).toBe(EventType.SYNCED);
    expect(synced.resource).toBeUndefined();
    const list = await c.client.list({ kind: Kind.ENVIRONMENT });
    expect(synced.resourceVersion).toBe(list.resourceVersion);

    // Live: filtered by kind and namespace.
    await c.client.create({ resource: env("other-ns", {}, "ml") });
    await c.client.create({ resource: pkg("ignored") });
    const e = await c.client.create({ resource: env("live") });
    const ev = await w.next();
    expect([ev.type, meta(ev.resource).name, ev.resourceVersion]).toEqual([EventType.ADDED, "live", meta(e).resourceVersion]);
    const u = await c.client.update({ resource: e });
    const mod = await w.next();
    expect([mod.type, mod.resourceVersion]).toEqual([EventType.MODIFIED, meta(u).resourceVersion]);
    const d = await c.client.delete({ kind: Kind.ENVIRONMENT, name: "live" });
    const del = await w.next();
    expect(del.type).toBe(EventType.DELETED);
    expect(Number(del.resourceVersion)).toBeGreaterThan(Number(meta(u).resourceVersion));
    expect(meta(del.resource).resourceVersion).toBe(del.resourceVersion);
    expect(meta(d.resource).resourceVersion).toBe(del.resourceVersion);
    expect(meta(del.resource).uid).toBe(meta(u).uid);
  });

  it("every kind in every namespace when no filter is given", async () => {
    const w = watch({});
    const names: string[] = [];
    for (;;) {
      const ev = await w.next();
      if (ev.type === EventType.SYNCED) break;
      names.push(`${meta(ev.resource).namespace}/${meta(ev.resource).name}`);
    }
    expect(names).toEqual(expect.arrayContaining(["default/node", "default/code", "default/hello", "ml/py", "ml/other-ns", "default/ignored"]));
  });

  it("resumes from a version with the changes after it, and nothing before", async () => {
    const start = (await c.client.list({ kind: Kind.ENVIRONMENT })).resourceVersion;
    await c.client.create({ resource: env("r1") });
    await c.client.create({ resource: env("r2") });
    const w = watch({ kinds: [Kind.ENVIRONMENT], resourceVersion: start });
    expect(meta((await w.next()).resource).name).toBe("r1");
    expect(meta((await w.next()).resource).name).toBe("r2");
    await c.client.delete({ kind: Kind.ENVIRONMENT, name: "r1" });
    const del = await w.next();
    expect([del.type, meta(del.resource).name]).toEqual([EventType.DELETED, "r1"]);
    // Up to date: nothing to replay, the stream just waits for changes.
    const now = (await c.client.list({ kind: Kind.ENVIRONMENT })).resourceVersion;
    const quiet = watch({ resourceVersion: now });
    await expect(quiet.next(200)).rejects.toThrow("no watch event");
  });

  it("fails with OUT_OF_RANGE once the history has rolled past the version", async () => {
    const old = (await c.client.list({ kind: Kind.ENVIRONMENT })).resourceVersion;
    for (let i = 0; i < 6; i++) await c.client.create({ resource: env(`roll-${i}`) });
    const w = watch({ resourceVersion: old });
    await expectFizz(w.next(), "OUT_OF_RANGE", /older than the watch history.*list again/);
    const future = watch({ resourceVersion: "999999" });
    await expectFizz(future.next(), "OUT_OF_RANGE", /newer than/);
    await expectFizz(watch({ resourceVersion: "abc" }).next(), "INVALID_ARGUMENT", /resourceVersion "abc"/);
    // The edge of the history still works: the last 5 changes are held.
    const edge = String(Number((await c.client.list({ kind: Kind.ENVIRONMENT })).resourceVersion) - 5);
    const ok = watch({ resourceVersion: edge });
    expect(meta((await ok.next()).resource).name).toBe("roll-1");
  });

  it("frees the server side when the client cancels", async () => {
    await eventually(() => c.controller.watchers === 0);
    const w = watch({});
    while ((await w.next()).type !== EventType.SYNCED);
    expect(c.controller.watchers).toBe(1);
    w.cancel();
    await eventually(() => c.controller.watchers === 0);
  });

  it("feeds the Informer, which ends up with the same state as List", async () => {
    const inf = new Informer(c.client, [Kind.ENVIRONMENT]);
    await inf.start();
    await c.client.create({ resource: env("via-informer") });
    await eventually(() => inf.get(Kind.ENVIRONMENT, "default", "via-informer") !== undefined);
    const listed = await c.client.list({ kind: Kind.ENVIRONMENT });
    expect(inf.list(Kind.ENVIRONMENT).length).toBe(listed.items.length);
    inf.stop();
  });
});

describe("watch on stop", () => {
  it("ends open streams cleanly when the controller stops", async () => {
    const own = await startController();
    const w = openWatch(own.client, {});
    expect((await w.next()).type).toBe(EventType.SYNCED);
    const stopped = own.controller.stop();
    expect(await w.ended(2000)).toBe(true);
    await stopped;
    own.client.close();
  });
});
