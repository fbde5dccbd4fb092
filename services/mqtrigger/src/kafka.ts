// Kafka adapter, thin over kafkajs: a consumer group per trigger, offsets committed by hand only
// after a message is handled, up to maxInFlight partitions handled at once (messages of one
// partition in order, as Kafka's ordering asks), a producer for respTopic/errorTopic.
// It is written against the small slice of kafkajs below, so tests can run it against a fake.
import { Kafka, logLevel, type IHeaders } from "kafkajs";
import { silentLogger, type Logger } from "@fizz/common";
import type { MessageHandler, QueueAdapter, SubscribeRequest, Subscription } from "./queue.js";
import { sleep } from "./semaphore.js";

/** How long after a failed publish or a stop a message is fetched again. */
const RETRY_LATER_MS = 1000;

export interface KafkaMessageLike {
  value: Buffer | null;
  offset: string;
  headers?: IHeaders;
}

export interface KafkaConsumerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(s: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  run(c: {
    autoCommit?: boolean;
    partitionsConsumedConcurrently?: number;
    eachMessage: (p: { topic: string; partition: number; message: KafkaMessageLike; heartbeat(): Promise<void> }) => Promise<void>;
  }): Promise<void>;
  commitOffsets(o: Array<{ topic: string; partition: number; offset: string }>): Promise<void>;
  seek(o: { topic: string; partition: number; offset: string }): void;
}

export interface KafkaProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(r: { topic: string; messages: Array<{ value: Buffer; headers: Record<string, string> }> }): Promise<unknown>;
}

/** The part of kafkajs's `Kafka` the adapter uses. */
export interface KafkaLike {
  consumer(c: { groupId: string }): KafkaConsumerLike;
  producer(): KafkaProducerLike;
  admin(): { connect(): Promise<void>; disconnect(): Promise<void>; deleteGroups(ids: string[]): Promise<unknown> };
}

/** A kafkajs client for `brokers`, logging through pino at warn and above. */
export function kafkaClient(brokers: string[], log: Logger = silentLogger): KafkaLike {
  return new Kafka({
    clientId: "fizz-mqtrigger",
    brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (e) => log.warn({ ns: e.namespace, ...e.log }, e.log.message),
  }) as unknown as KafkaLike;
}

const headerText = (v: IHeaders[string]): string | undefined => {
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
};

export class KafkaAdapter implements QueueAdapter {
  readonly type = "kafka" as const;
  private producer?: KafkaProducerLike;
  private connecting?: Promise<void>;

  constructor(private readonly kafka: KafkaLike) {}

  connect(): Promise<void> {
    this.connecting ??= (async () => {
      const p = this.kafka.producer();
      await p.connect();
      this.producer = p;
    })().catch((err) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  async subscribe(req: SubscribeRequest, handler: MessageHandler): Promise<Subscription> {
    const consumer = this.kafka.consumer({ groupId: req.durable });
    await consumer.connect();
    // A new group starts at the end of the topic (Kafka's auto.offset.reset=latest).
    await consumer.subscribe({ topics: [req.topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: req.maxInFlight,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          const s = headerText(v);
          if (s !== undefined) headers[k] = s;
        }
        // Awaited: the next message of this partition waits, so committed offsets never skip one.
        await handler({
          data: message.value ?? Buffer.alloc(0),
          headers,
          id: `${topic}/${partition}:${message.offset}`,
          redelivered: false,
          ack: () => consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]),
          retryLater: async () => {
            await sleep(RETRY_LATER_MS);
            consumer.seek({ topic, partition, offset: message.offset });
          },
          working: () => void heartbeat().catch(() => undefined),
        });
      },
    });
    return { stop: () => consumer.disconnect() };
  }

  async publish(topic: string, data: Uint8Array, headers: Record<string, string>): Promise<void> {
    await this.connect();
    await this.producer!.send({ topic, messages: [{ value: Buffer.from(data), headers }] });
  }

  async remove(durable: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([durable]);
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    await p?.disconnect();
  }
}
