// The trigger contract, run over both queues with the same cases: a real platform (controller,
// executor, router, a real function), the mqtrigger in-process, and a real nats-server or the
// in-memory kafkajs stand-in (no Kafka broker can be installed here).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Kind } from "@fizz/proto";
import type { MqTrigger } from "./mqtrigger.js";
import { startPlatform, subscribed, statusOf, until, type Platform } from "./__fixtures__/platform.js";
import { kafkaHarness, natsHarness, type QueueHarness } from "./__fixtures__/queues.js";

let p: Platform;

beforeAll(async () => {
  p = await startPlatform();
}, 60_000);

afterAll(async () => {
  await p?.shutdown();
}, 60_000);

const uidOf = async (name: string) => {
  const r = await p.admin.get({ kind: Kind.MESSAGE_QUEUE_TRIGGER, namespace: "default", name });
  return r.kind.case === "messageQueueTrigger" ? (r.kind.value.metadata?.uid ?? "") : "";
};

describe.each([
  ["nats", natsHarness],
  ["kafka", async () => kafkaHarness()],
] as const)("trigger contract over %s", (type, makeHarness) => {
  let q: QueueHarness;
  let mqt: MqTrigger;

  beforeAll(async () => {
    q = await makeHarness();
    mqt = await p.startMqTrigger(q.env, q.options);
  }, 30_000);

  afterAll(async () => {
    await mqt?.stop();
    await q?.close();
  }, 30_000);

  const trigger = async (name: string, spec: Record<string, unknown>) => {
    await p.createTrigger(name, { messageQueueType: type, functionref: { name: "echo" }, ...spec });
    await subscribed(mqt.address!, name);
  };

  it("invokes the function per message and publishes its answer to respTopic", async () => {
    const name = `${type}-resp`;
    const resp = q.watch(`${name}.done`);
    await trigger(name, { topic: `${name}.in`, respTopic: `${name}.done`, errorTopic: `${name}.failed`, contentType: "application/json" });
    for (const id of ["a", "b", "c"]) await q.publish(`${name}.in`, JSON.stringify({ id: `${name}-${id}` }), { "x-trace": `t-${id}` });
    await until("3 answers", () => resp.length === 3, 20_000);
    const bodies = resp.map((r) => JSON.parse(r.data) as { echo: { id: string }; attempt: string });
    expect(bodies.map((b) => b.echo.id).sort()).toEqual([`${name}-a`, `${name}-b`, `${name}-c`]);
    expect(bodies.every((b) => b.attempt === "1")).toBe(true);
    expect(resp[0]!.headers["x-answer"]).toBe("yes"); // the function's headers travel with its answer
    // What the function saw: Fission's headers, Fizz's, the content type and the message's own headers.
    const seen = p.sink.of(`${name}-a`)[0]!.headers;
    expect(seen["content-type"]).toBe("application/json");
    expect(seen["x-fission-mqtrigger-topic"]).toBe(`${name}.in`);
    expect(seen["x-fission-mqtrigger-resptopic"]).toBe(`${name}.done`);
    expect(seen["x-fission-mqtrigger-errortopic"]).toBe(`${name}.failed`);
    expect(seen["x-fizz-mqtrigger-name"]).toBe(name);
    expect(seen["x-trace"]).toBe("t-a");
    const st = await until("3 handled", async () => {
      const s = await statusOf(mqt.address!, name);
      return s?.handled === 3 && s;
    });
    expect(st).toMatchObject({ subscribed: true, handled: 3, failed: 0, inFlight: 0, type, topic: `${name}.in`, function: "echo" });
    expect(await q.unacked({ name, uid: await uidOf(name), topic: `${name}.in` })).toBe(0);
  }, 60_000);

  it("after maxRetries failed attempts publishes the error to errorTopic and moves on", async () => {
    const name = `${type}-err`;
    const errors = q.watch(`${name}.failed`);
    const resp = q.watch(`${name}.done`);
    await trigger(name, { topic: `${name}.in`, respTopic: `${name}.done`, errorTopic: `${name}.failed`, maxRetries: 2 });
    await q.publish(`${name}.in`, JSON.stringify({ id: `${name}-x`, fail: true }));
    await q.publish(`${name}.in`, JSON.stringify({ id: `${name}-ok` }));
    await until("the error record", () => errors.length === 1, 20_000);
    await until("the good message's answer", () => resp.length === 1, 20_000);
    const rec = JSON.parse(errors[0]!.data) as Record<string, unknown>;
    expect(rec).toMatchObject({ status: 500, body: `boom ${name}-x`, attempts: 3, trigger: name, function: "echo", topic: `${name}.in`, error: "function answered 500" });
    expect(JSON.parse(rec.payload as string)).toEqual({ id: `${name}-x`, fail: true });
    expect(errors[0]!.headers["messagesource"]).toBe(`${name}.in`);
    expect(errors[0]!.headers["x-fizz-mqtrigger-status"]).toBe("500");
    // 1 + maxRetries attempts, numbered.
    expect(p.sink.of(`${name}-x`).map((s) => s.headers["x-fizz-mqtrigger-attempt"])).toEqual(["1", "2", "3"]);
    const st = await until("both counted", async () => {
      const s = await statusOf(mqt.address!, name);
      return s?.handled === 1 && s?.failed === 1 && s;
    });
    expect(st).toMatchObject({ handled: 1, failed: 1, retries: 2 });
    expect(String(st?.lastError)).toContain("function answered 500");
    await until("nothing left unacknowledged", async () => (await q.unacked({ name, uid: await uidOf(name), topic: `${name}.in` })) === 0);
  }, 60_000);

  it("keeps at most maxInFlight messages in flight and acknowledges each only once handled", async () => {
    const name = `${type}-bound`;
    const resp = q.watch(`${name}.done`);
    await trigger(name, { topic: `${name}.in`, respTopic: `${name}.done`, maxInFlight: 2 });
    p.sink.maxHeld = p.sink.heldNow;
    const ids = [1, 2, 3, 4, 5].map((i) => `${name}-${i}`);
    for (const id of ids) await q.publish(`${name}.in`, JSON.stringify({ id, hold: true }));
    const uid = await uidOf(name);
    await until("two held", () => p.sink.heldNow === 2, 20_000);
    // Held by the function: delivered, not acknowledged, no answer yet.
    expect(await q.unacked({ name, uid, topic: `${name}.in` })).toBeGreaterThanOrEqual(2);
    expect(resp.length).toBe(0);
    expect((await statusOf(mqt.address!, name))?.inFlight).toBe(2);
    // Release one at a time: each release lets exactly one more in.
    let answered = 0;
    while (answered < ids.length) {
      const held = ids.find((id) => p.sink.isHeld(id));
      if (!held) {
        await until("a held message", () => ids.some((id) => p.sink.isHeld(id)), 20_000);
        continue;
      }
      p.sink.release(held);
      answered++;
      await until(`${answered} answers`, () => resp.length >= answered, 20_000);
    }
    expect(p.sink.maxHeld).toBe(2);
    await until("all acknowledged", async () => (await q.unacked({ name, uid, topic: `${name}.in` })) === 0);
  }, 90_000);
});
