// The mqtrigger service over a real nats-server and a real platform: status and health, a queue
// type that is not configured, updates and deletes, a clean stop with messages in flight, and a
// response topic that refuses messages.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { DiscardPolicy, RetentionPolicy, StorageType } from "nats";
import { Kind } from "@fizz/proto";
import { durableName } from "./queue.js";
import { startPlatform, statusOf, subscribed, until, type Platform } from "./__fixtures__/platform.js";
import { natsHarness } from "./__fixtures__/queues.js";

let p: Platform;
let q: Awaited<ReturnType<typeof natsHarness>>;

beforeAll(async () => {
  p = await startPlatform();
  q = await natsHarness();
}, 60_000);

afterAll(async () => {
  await p?.shutdown();
  await q?.close();
}, 60_000);

const spec = (topic: string, extra: Record<string, unknown> = {}) => ({ messageQueueType: "nats", functionref: { name: "echo" }, topic, ...extra });

async function getTrigger(name: string) {
  const r = await p.admin.get({ kind: Kind.MESSAGE_QUEUE_TRIGGER, namespace: "default", name });
  if (r.kind.case !== "messageQueueTrigger") throw new Error("not a trigger");
  return r.kind.value;
}

async function consumers(topic: string): Promise<string[]> {
  const jsm = await q.nc.jetstreamManager();
  const stream = await jsm.streams.find(topic);
  // An entry can be null: seen once in CI while the trigger's old consumer was being moved away.
  return (await jsm.consumers.list(stream).next()).flatMap((c) => (c ? [c.name] : []));
}

describe("mqtrigger service", () => {
  it("serves health and status, and reports a trigger whose queue is not configured without failing", async () => {
    const m = await p.startMqTrigger(q.env);
    expect((await fetch(`http://${m.address}/healthz`)).status).toBe(200);
    expect((await fetch(`http://${m.address}/nope`)).status).toBe(404);
    expect((await fetch(`http://${m.address}/triggers`, { method: "POST" })).status).toBe(405);
    await p.createTrigger("on-kafka", { ...spec("k.in"), messageQueueType: "kafka" });
    const st = await until("kafka trigger reported", () => statusOf(m.address!, "on-kafka"));
    expect(st).toMatchObject({ subscribed: false, type: "kafka", handled: 0 });
    expect(String(st.reason)).toMatch(/kafka is not configured: set FIZZ_KAFKA_BROKERS/);
    // The NATS trigger next to it works.
    const resp = q.watch("side.done");
    await p.createTrigger("side", spec("side.in", { respTopic: "side.done" }));
    await subscribed(m.address!, "side");
    await q.publish("side.in", JSON.stringify({ id: "side-1" }));
    await until("answer", () => resp.length === 1, 20_000);
    const list = (await (await fetch(`http://${m.address}/triggers`)).json()) as Array<{ name: string }>;
    expect(list.map((t) => t.name).sort()).toEqual(["on-kafka", "side"]);
    await m.stop();
  }, 60_000);

  it("applies updates in place or on a new topic, and forgets a deleted trigger's consumer", async () => {
    const m = await p.startMqTrigger(q.env);
    const first = q.watch("upd.done");
    const second = q.watch("upd.done2");
    await p.createTrigger("upd", spec("upd.in", { respTopic: "upd.done" }));
    await subscribed(m.address!, "upd");
    const durable = durableName("default", "upd", (await getTrigger("upd")).metadata!.uid);
    expect(await consumers("upd.in")).toContain(durable);
    await q.publish("upd.in", JSON.stringify({ id: "upd-1" }));
    await until("first answer", () => first.length === 1, 20_000);

    // A new respTopic: same subscription, the next answer goes to the new topic.
    let t = await getTrigger("upd");
    t.spec!.respTopic = "upd.done2";
    await p.admin.update({ resource: { kind: { case: "messageQueueTrigger", value: t } } });
    await until("respTopic changed", async () => {
      await q.publish("upd.in", JSON.stringify({ id: `upd-probe-${Date.now()}` }));
      return second.length > 0;
    }, 20_000);
    expect((await statusOf(m.address!, "upd"))?.subscribed).toBe(true);

    // A new topic: the old durable consumer goes, one on the new topic's stream comes.
    t = await getTrigger("upd");
    t.spec!.topic = "upd.moved";
    await p.admin.update({ resource: { kind: { case: "messageQueueTrigger", value: t } } });
    await until("consumer moved", async () => !(await consumers("upd.in")).includes(durable), 20_000);
    await subscribed(m.address!, "upd");
    expect(await consumers("upd.moved")).toContain(durable);
    const before = second.length;
    await q.publish("upd.moved", JSON.stringify({ id: "upd-moved" }));
    await until("answer from the new topic", () => second.slice(before).some((r) => r.data.includes("upd-moved")), 20_000);

    await p.admin.delete({ kind: Kind.MESSAGE_QUEUE_TRIGGER, namespace: "default", name: "upd" });
    await until("consumer deleted", async () => !(await consumers("upd.moved")).includes(durable), 20_000);
    expect(await statusOf(m.address!, "upd")).toBeUndefined();
    await m.stop();
  }, 90_000);

  it("hands messages still being handled back on stop; the next mqtrigger handles them", async () => {
    const resp = q.watch("stop.done");
    const m1 = await p.startMqTrigger(q.env);
    await p.createTrigger("stopper", spec("stop.in", { respTopic: "stop.done" }));
    await subscribed(m1.address!, "stopper");
    await q.publish("stop.in", JSON.stringify({ id: "stop-1", hold: true }));
    await until("held", () => p.sink.isHeld("stop-1"), 20_000);
    await m1.stop(); // drains for FIZZ_MQT_DRAIN_MS, then gives the message back
    expect(resp.length).toBe(0);
    p.sink.release("stop-1");

    const m2 = await p.startMqTrigger(q.env);
    await until("redelivered", () => p.sink.of("stop-1").length === 2, 20_000);
    expect(p.sink.of("stop-1")[1]!.headers["x-fizz-mqtrigger-redelivered"]).toBe("true");
    await until("held again", () => p.sink.isHeld("stop-1"), 20_000);
    p.sink.release("stop-1");
    await until("answered", () => resp.length === 1, 20_000);
    expect(JSON.parse(resp[0]!.data).echo.id).toBe("stop-1");
    await m2.stop();
  }, 60_000);

  it("keeps a message whose answer cannot be published, and delivers it again until it can", async () => {
    const jsm = await q.nc.jetstreamManager();
    // A response stream that takes one message and refuses the next.
    await jsm.streams.add({ name: "FULL", subjects: ["full.done"], storage: StorageType.Memory, retention: RetentionPolicy.Limits, max_msgs: 1, discard: DiscardPolicy.New });
    await q.publish("full.done", "occupied");
    const m = await p.startMqTrigger(q.env);
    await p.createTrigger("full", spec("full.in", { respTopic: "full.done" }));
    await subscribed(m.address!, "full");
    await q.publish("full.in", JSON.stringify({ id: "full-1" }));
    const st = await until("handed back", async () => {
      const s = await statusOf(m.address!, "full");
      return (s?.requeued as number) >= 1 && s;
    }, 20_000);
    expect(st.handled).toBe(0);
    expect(String(st.lastError)).toMatch(/handed back/);
    await jsm.streams.purge("FULL");
    const answers = await until("published once there is room", async () => {
      const info = await jsm.streams.info("FULL");
      return info.state.messages === 1 && info;
    }, 20_000);
    expect(answers.state.messages).toBe(1);
    await until("handled", async () => (await statusOf(m.address!, "full"))?.handled === 1, 20_000);
    expect(p.sink.of("full-1").length).toBeGreaterThanOrEqual(2); // invoked again on redelivery
    await m.stop();
  }, 60_000);
});
