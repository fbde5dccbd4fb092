// Message-queue triggers through `fizz up` and the CLI, against a real nats-server (JetStream):
// answers on the response topic, the error topic after retries, status, bad input, delete.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { natsTestClient, startNatsServer, type NatsServer } from "@fizz/mqtrigger/testing/nats-server";
import { eventually, fizz, fizzOk, startPlatform, type Platform } from "./platform.js";

let p: Platform;
let server: NatsServer;
let q: Awaited<ReturnType<typeof natsTestClient>>;

beforeAll(async () => {
  server = await startNatsServer();
  q = await natsTestClient(server.url);
  p = await startPlatform({ env: { FIZZ_NATS_URL: server.url, FIZZ_MQT_RETRY_BACKOFF_MS: "50" } });
}, 60_000);

afterAll(async () => {
  await p?.stop();
  await q?.close();
  await server?.stop();
}, 30_000);

describe("message queue triggers through the CLI", () => {
  it("handles orders from NATS: answers to the response topic, failures to the error topic after retries", async () => {
    await fizzOk(p, ["fn", "create", "--name", "handle-order", "--env", "nodejs", "--code", "./handle-order.js"]);
    const done = q.watch("orders.done");
    const failed = q.watch("orders.failed");
    const out = await fizzOk(p, [
      "mqt", "create", "--name", "orders", "--function", "handle-order", "--mqtype", "nats", "--topic", "orders",
      "--resptopic", "orders.done", "--errortopic", "orders.failed", "--maxretries", "3",
    ]);
    expect(out).toContain("trigger 'orders' created: nats topic orders → function handle-order");
    await eventually(async () => /SUBSCRIBED[\s\S]*\byes\b/.test(await fizzOk(p, ["mqt", "get", "--name", "orders"])), 20_000, 200);

    await q.publish("orders", JSON.stringify({ id: 1 }));
    await q.publish("orders", JSON.stringify({ id: 2, bad: true }));
    await eventually(() => done.length === 1 && failed.length === 1, 30_000);
    expect(JSON.parse(done[0]!.data)).toEqual({ confirmed: 1, topic: "orders" });
    const err = JSON.parse(failed[0]!.data) as Record<string, unknown>;
    expect(err).toMatchObject({ status: 500, body: "cannot handle order 2", attempts: 4, trigger: "orders", function: "handle-order" });

    const status = await eventually(async () => {
      const s = await fizzOk(p, ["mqt", "get", "--name", "orders"]);
      return /yes\s+0\s+1\s+1\s+3\s+/.test(s) && s; // subscribed, in flight 0, handled 1, failed 1, retries 3
    }, 10_000, 200);
    expect(status).toContain("function answered 500");
    expect(await fizzOk(p, ["mqt", "list"])).toMatch(/orders\s+handle-order\s+nats\s+orders\s+orders\.done\s+orders\.failed\s+3\s+10/);
    expect(await fizzOk(p, ["-o", "yaml", "mqt", "get", "--name", "orders"])).toMatch(/kind: MessageQueueTrigger[\s\S]*respTopic: orders\.done/);
  }, 90_000);

  it("refuses bad input with a clear message and changes nothing", async () => {
    const bad = await fizz(p, ["mqt", "create", "--name", "x", "--function", "handle-order", "--mqtype", "rabbit", "--topic", "t"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--mqtype.*expected nats or kafka, got "rabbit"/);
    const loop = await fizz(p, ["mqt", "create", "--name", "loop", "--function", "handle-order", "--topic", "t", "--resptopic", "t"]);
    expect(loop.code).not.toBe(0);
    expect(loop.stderr).toMatch(/respTopic and spec\.errorTopic must differ from spec\.topic/);
    const nothing = await fizz(p, ["mqt", "update", "--name", "orders"]);
    expect(nothing.code).not.toBe(0);
    expect(nothing.stderr).toMatch(/nothing to change/);
    expect(await fizzOk(p, ["mqt", "list"])).not.toMatch(/\bloop\b|\bx\b/);
  });

  it("reports a Kafka trigger when no Kafka is configured, and deletes triggers", async () => {
    await fizzOk(p, ["mqt", "create", "--name", "on-kafka", "--function", "handle-order", "--mqtype", "kafka", "--topic", "t"]);
    await eventually(async () => /kafka is not configured: set FIZZ_KAFKA_BROKERS/.test(await fizzOk(p, ["mqt", "get", "--name", "on-kafka"])), 10_000, 200);
    await fizzOk(p, ["mqt", "update", "--name", "orders", "--maxretries", "0"]);
    expect(await fizzOk(p, ["mqt", "get", "--name", "orders"])).toMatch(/orders\s+handle-order\s+nats\s+orders\s+orders\.done\s+orders\.failed\s+0\s+/);
    await fizzOk(p, ["mqt", "delete", "--name", "orders"]);
    await fizzOk(p, ["messagequeue", "delete", "--name", "on-kafka"]);
    expect(await fizzOk(p, ["mqt", "list"])).not.toMatch(/orders|on-kafka/);
    const gone = await fizz(p, ["mqt", "get", "--name", "orders"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/not found/i);
  });
});
