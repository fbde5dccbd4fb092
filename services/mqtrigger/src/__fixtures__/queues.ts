// The two queues the engine contract runs over, behind one test-side interface: a real
// nats-server, and the in-memory kafkajs stand-in.
import type { NatsConnection } from "nats";
import { durableName } from "../queue.js";
import type { MqTriggerOptions } from "../mqtrigger.js";
import { FakeKafka } from "./fake-kafka.js";
import { natsTestClient, startNatsServer, type NatsServer, type Received } from "../testing/nats-server.js";

export type { Received };

export interface QueueHarness {
  type: "nats" | "kafka";
  /** mqtrigger settings and options that select this queue. */
  env: Record<string, string>;
  options: MqTriggerOptions;
  publish(topic: string, data: string, headers?: Record<string, string>): Promise<void>;
  /** Starts collecting what is published to `topic` (call before it can happen). */
  watch(topic: string): Received[];
  /** Messages of the trigger's topic delivered and not acknowledged / not committed. */
  unacked(trigger: { name: string; uid: string; topic: string }): Promise<number>;
  close(): Promise<void>;
}

export async function natsHarness(): Promise<QueueHarness & { server: NatsServer; nc: NatsConnection }> {
  const server = await startNatsServer();
  const client = await natsTestClient(server.url);
  const nc = client.nc;
  return {
    type: "nats",
    server,
    nc,
    env: { FIZZ_NATS_URL: server.url },
    options: {},
    publish: client.publish,
    watch: client.watch,
    async unacked(t) {
      const jsm = await nc.jetstreamManager();
      const stream = await jsm.streams.find(t.topic);
      return (await jsm.consumers.info(stream, durableName("default", t.name, t.uid))).num_ack_pending;
    },
    async close() {
      await client.close();
      await server.stop();
    },
  };
}

export function kafkaHarness(): QueueHarness & { kafka: FakeKafka } {
  const kafka = new FakeKafka(4);
  return {
    type: "kafka",
    kafka,
    env: {},
    options: { kafka },
    async publish(topic, data, headers = {}) {
      kafka.produce(topic, data, headers);
    },
    watch(topic) {
      const out: Received[] = [];
      kafka.onRecord(topic, (r) => out.push({ data: r.value.toString(), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])) }));
      return out;
    },
    async unacked(t) {
      return kafka.uncommitted(durableName("default", t.name, t.uid), t.topic);
    },
    async close() {},
  };
}
