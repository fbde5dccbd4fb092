import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { FunctionSchema } from "@fizz/proto";
import { FizzError } from "@fizz/common";
import { fnInfo } from "../routes/table.js";
import { WarmCache, type GetService, type Instance } from "./warm.js";

const info = (requestsPerPod = 1, rv = "5") =>
  fnInfo(create(FunctionSchema, { metadata: { name: "f", namespace: "default", resourceVersion: rv }, spec: { requestsPerPod } }));

/** An executor stand-in that hands out a new address per call, after a tick. */
function fakeExecutor(opts: { rv?: string; fail?: FizzError; same?: boolean; maxInFlight?: number } = {}) {
  const calls: string[][] = [];
  let n = 0;
  const get: GetService = async (_fn, busy) => {
    calls.push(busy);
    await new Promise((r) => setTimeout(r, 5));
    if (opts.fail) throw opts.fail;
    return { address: `127.0.0.1:${opts.same ? 1000 : 1000 + n++}`, functionResourceVersion: opts.rv ?? "5", maxInFlight: opts.maxInFlight ?? 0 };
  };
  return { calls, get };
}

const acquire = (c: WarmCache, fn: ReturnType<typeof info>): Promise<Instance> => {
  const hit = c.tryAcquire(fn);
  return hit ? Promise.resolve(hit) : c.acquire(fn);
};

describe("WarmCache", () => {
  it("coalesces 50 concurrent misses into one executor call", async () => {
    const ex = fakeExecutor();
    const c = new WarmCache(ex.get);
    const fn = info(100);
    const got = await Promise.all(Array.from({ length: 50 }, () => acquire(c, fn)));
    expect(ex.calls).toHaveLength(1);
    expect(new Set(got.map((i) => i.address)).size).toBe(1);
    expect(got[0]!.inFlight).toBe(50);
    for (const i of got) c.release(i);
    expect(c.tryAcquire(fn)?.inFlight).toBe(1);
    expect(ex.calls).toHaveLength(1);
  });

  it("fills a load-balanced address (newdeploy Service) up to the executor's maxInFlight, not requestsPerPod", async () => {
    const ex = fakeExecutor({ same: true, maxInFlight: 4 });
    const c = new WarmCache(ex.get);
    const fn = info(1);
    const got = await Promise.all(Array.from({ length: 4 }, () => acquire(c, fn)));
    expect(ex.calls).toHaveLength(1);
    expect(got[0]!.inFlight).toBe(4);
    // The fifth waits for a release rather than another executor call for the same address.
    let fifth: Instance | undefined;
    const waiting = acquire(c, fn).then((i) => (fifth = i));
    await new Promise((r) => setTimeout(r, 20));
    expect(fifth).toBeUndefined();
    c.release(got[0]!);
    await waiting;
    expect(fifth!.address).toBe(got[0]!.address);
  });

  it("hits without calling the executor while an instance has capacity", async () => {
    const ex = fakeExecutor();
    const c = new WarmCache(ex.get);
    const fn = info(1);
    const a = await acquire(c, fn);
    c.release(a);
    for (let i = 0; i < 100; i++) {
      const x = c.tryAcquire(fn)!;
      expect(x.address).toBe(a.address);
      c.release(x);
    }
    expect(ex.calls).toHaveLength(1);
  });

  it("asks for another instance, naming the busy ones, only when all are at requestsPerPod", async () => {
    const ex = fakeExecutor();
    const c = new WarmCache(ex.get);
    const fn = info(2);
    const a = await acquire(c, fn);
    const b = await acquire(c, fn);
    expect(b.address).toBe(a.address);
    const d = await acquire(c, fn);
    expect(d.address).not.toBe(a.address);
    expect(ex.calls).toEqual([[], [a.address]]);
  });

  it("serves a burst beyond capacity with one call at a time, each adding an instance", async () => {
    const ex = fakeExecutor();
    const c = new WarmCache(ex.get);
    const got = await Promise.all(Array.from({ length: 4 }, () => acquire(c, info(1))));
    expect(new Set(got.map((i) => i.address)).size).toBe(4);
    expect(ex.calls.map((b) => b.length)).toEqual([0, 1, 2, 3]);
  });

  it("hands a released slot to a waiter when the executor returns a held, full instance", async () => {
    const ex = fakeExecutor({ same: true });
    const c = new WarmCache(ex.get);
    const fn = info(1);
    const a = await acquire(c, fn);
    let served: Instance | undefined;
    const p = acquire(c, fn).then((i) => (served = i));
    await new Promise((r) => setTimeout(r, 30));
    expect(served).toBeUndefined();
    expect(ex.calls).toHaveLength(2);
    c.release(a);
    await p;
    expect(served?.address).toBe(a.address);
    expect(ex.calls).toHaveLength(2);
  });

  it("fails every waiter of a failed call with the executor's error", async () => {
    const err = new FizzError("RESOURCE_EXHAUSTED", "too many");
    const c = new WarmCache(fakeExecutor({ fail: err }).get);
    const res = await Promise.allSettled(Array.from({ length: 5 }, () => acquire(c, info(1))));
    expect(res.every((r) => r.status === "rejected" && r.reason === err)).toBe(true);
  });

  it("forgets removed addresses and dropped functions", async () => {
    const ex = fakeExecutor();
    const c = new WarmCache(ex.get);
    const fn = info(5);
    const a = await acquire(c, fn);
    c.remove(fn, a.address);
    expect(a.live).toBe(false);
    c.release(a);
    const b = await acquire(c, fn);
    expect(b.address).not.toBe(a.address);
    c.drop(fn.key);
    expect(c.tryAcquire(fn)).toBeUndefined();
    expect(c.snapshot()).toEqual({});
  });

  it("moves waiters of a changed function to the new version, fails them when it is deleted", async () => {
    const ex = fakeExecutor({ rv: "6" });
    const c = new WarmCache(ex.get);
    const p = acquire(c, info(1, "5"));
    c.drop("default/f", info(1, "6"));
    const inst = await p;
    expect(ex.calls).toHaveLength(2);
    expect(c.snapshot()["default/f"]?.map((i) => i.address)).toContain(inst.address);
    const q = acquire(c, info(1, "6"));
    c.drop("default/f");
    await expect(q).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("uses an instance of an older version once but does not keep it", async () => {
    const ex = fakeExecutor({ rv: "4" });
    const c = new WarmCache(ex.get);
    const fn = info(1, "5");
    const a = await acquire(c, fn);
    expect(a.live).toBe(false);
    c.release(a);
    expect(c.tryAcquire(fn)).toBeUndefined();
  });
});
