// The watch history and subscriber queues, below gRPC (whose own buffers hide a slow reader).
import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { EventType, Kind, ResourceSchema } from "@fizz/proto";
import { FizzError } from "@fizz/common";
import { WatchHub, type Change } from "./history.js";

const change = (version: number, name = `e${version}`, namespace = "default"): Change => ({
  type: EventType.ADDED,
  version,
  resource: create(ResourceSchema, {
    kind: { case: "environment", value: { metadata: { name, namespace, resourceVersion: String(version) } } },
  }),
});

const all = { kinds: new Set<Kind>(), namespace: "" };

describe("WatchHub", () => {
  it("replays the changes after a version while the history holds them", () => {
    const hub = new WatchHub(3, 10);
    expect(hub.since(10, 10)).toEqual([]);
    for (let v = 11; v <= 14; v++) hub.publish(change(v));
    expect(hub.since(12, 14).map((c) => c.version)).toEqual([13, 14]);
    expect(hub.since(11, 14).map((c) => c.version)).toEqual([12, 13, 14]);
    expect(() => hub.since(10, 14)).toThrow(/older than the watch history/);
    expect(() => hub.since(15, 14)).toThrow(/newer than/);
  });

  it("delivers to matching subscribers in order and ends them on close", async () => {
    const hub = new WatchHub(10, 0);
    const sub = hub.subscribe({ kinds: new Set([Kind.ENVIRONMENT]), namespace: "ml" }, new AbortController().signal);
    const fnSub = hub.subscribe({ kinds: new Set([Kind.FUNCTION]), namespace: "" }, new AbortController().signal);
    hub.publish(change(1, "a", "default"));
    hub.publish(change(2, "b", "ml"));
    hub.publish(change(3, "c", "ml"));
    expect((await sub.next())?.resourceVersion).toBe("2");
    expect((await sub.next())?.resourceVersion).toBe("3");
    const pending = sub.next();
    hub.close();
    expect(await pending).toBeUndefined();
    expect(await fnSub.next()).toBeUndefined();
    expect(hub.subscribers).toBe(0);
    expect(() => hub.subscribe(all, new AbortController().signal)).toThrow(/shutting down/);
  });

  it("ends a subscriber when its signal aborts", async () => {
    const hub = new WatchHub(10, 0);
    const ac = new AbortController();
    const sub = hub.subscribe(all, ac.signal);
    const pending = sub.next();
    ac.abort();
    expect(await pending).toBeUndefined();
    expect(hub.subscribers).toBe(0);
  });

  it("fails a subscriber that falls more than the history size behind with OUT_OF_RANGE", async () => {
    const hub = new WatchHub(3, 0);
    const slow = hub.subscribe(all, new AbortController().signal);
    for (let v = 1; v <= 4; v++) hub.publish(change(v));
    const err = await slow.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FizzError);
    expect((err as FizzError).code).toBe("OUT_OF_RANGE");
    expect((err as FizzError).message).toMatch(/fell more than 3 events behind/);
    expect(hub.subscribers).toBe(0);
  });
});
