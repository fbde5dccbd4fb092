// What every ResourceStore must do, checked through a real controller and its AdminService.
// Each store's test file runs this suite with a way to start controllers against one place.
import { describe, expect, it } from "@jest/globals";
import { EventType, Kind } from "@fizz/proto";
import { env, expectFizz, fn, meta, openWatch, pkg, route, type Running } from "./harness.js";

export interface StorePlace {
  /** A controller on the store at this place; call again after stop() to restart on the same state. */
  start(): Promise<Running>;
}

export function storeContract(name: string, newPlace: () => Promise<StorePlace>): void {
  describe(`${name} store contract`, () => {
    it("round-trips every field through the store, in every namespace", async () => {
      const c = await (await newPlace()).start();
      const e = await c.client.create({ resource: env("node", { poolsize: 3, resources: { requests: { cpu: "50m" } } }) });
      const p = await c.client.create({ resource: pkg("code") });
      const f = await c.client.create({ resource: fn("hello", { secrets: [{ name: "s" }] }) });
      const r = await c.client.create({ resource: route("hello", {}, "web") });
      if (e.kind.case === "environment") e.kind.value.spec!.poolsize = 5;
      const e2 = await c.client.update({ resource: e });
      expect(e2.kind.case === "environment" && e2.kind.value.spec?.poolsize).toBe(5);
      expect(meta(e2).generation).toBe(2n);
      for (const [kind, name, want] of [[Kind.ENVIRONMENT, "node", e2], [Kind.PACKAGE, "code", p], [Kind.FUNCTION, "hello", f]] as const)
        expect(await c.client.get({ kind, name })).toEqual(want);
      expect(await c.client.get({ kind: Kind.HTTP_TRIGGER, name: "hello", namespace: "web" })).toEqual(r);
      const inWeb = await c.client.list({ kind: Kind.UNSPECIFIED, namespace: "web" });
      expect(inWeb.items.map((x) => meta(x).name)).toEqual(["hello"]);
      await c.stop();
    });

    it("keeps resources across a restart, and versions keep growing even after deletes", async () => {
      const place = await newPlace();
      const a = await place.start();
      await a.client.create({ resource: env("node") });
      await a.client.create({ resource: pkg("code") });
      const f = await a.client.create({ resource: fn("hello") });
      await a.client.create({ resource: env("temp") });
      const del = await a.client.delete({ kind: Kind.ENVIRONMENT, name: "temp" });
      const lastVersion = Number(meta(del.resource).resourceVersion);
      await a.stop();

      const b = await place.start();
      expect(await b.client.get({ kind: Kind.FUNCTION, name: "hello" })).toEqual(f);
      const listed = await b.client.list({ kind: Kind.UNSPECIFIED });
      expect(listed.items.map((r) => meta(r).name).sort()).toEqual(["code", "hello", "node"]);
      expect(Number(listed.resourceVersion)).toBe(lastVersion);
      const next = await b.client.create({ resource: env("after") });
      expect(Number(meta(next).resourceVersion)).toBe(lastVersion + 1);
      // The history starts empty: resuming from before the restart means relisting.
      await expectFizz(openWatch(b.client, { resourceVersion: "1" }).next(), "OUT_OF_RANGE");
      const fromNow = openWatch(b.client, { resourceVersion: String(lastVersion) });
      expect(meta((await fromNow.next()).resource).name).toBe("after");
      fromNow.cancel();
      await b.stop();
    });

    it("replays a watch from the store's contents after a restart", async () => {
      const place = await newPlace();
      const a = await place.start();
      await a.client.create({ resource: env("node") });
      await a.stop();
      const b = await place.start();
      const w = openWatch(b.client, {});
      const first = await w.next();
      expect([first.type, meta(first.resource).name]).toEqual([EventType.ADDED, "node"]);
      expect((await w.next()).type).toBe(EventType.SYNCED);
      w.cancel();
      await b.stop();
    });
  });
}
