// NATS JetStream adapter: one durable pull consumer per trigger, explicit acks, max_ack_pending
// as the server-side in-flight bound. A subject no stream covers gets a stream of its own,
// FIZZ_MQT_<SUBJECT> (file storage, limits retention, bounded age), so messages published
// while the mqtrigger is down wait for it.
import { createHash } from "node:crypto";
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  headers as natsHeaders,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from "nats";
import { silentLogger, type Logger } from "@fizz/common";
import type { MessageHandler, QueueAdapter, QueueMessage, SubscribeRequest, Subscription } from "./queue.js";

/** How long after a failed publish or a stop a message is redelivered. */
const RETRY_LATER_MS = 1000;

export interface NatsOptions {
  servers: string[];
  ackWaitMs: number;
  /** max_age of streams the mqtrigger creates. */
  streamMaxAgeMs: number;
  log?: Logger;
}

/** The stream name the mqtrigger gives a subject with no stream (FIZZ_MQT_ORDERS_DONE for "orders.done"). */
export const streamNameFor = (subject: string) => `FIZZ_MQT_${subject.toUpperCase().replace(/[^A-Z0-9_-]/g, "_")}`;

const isNotFound = (err: unknown) => /not found|no stream matches/i.test((err as Error).message ?? "");

export class NatsAdapter implements QueueAdapter {
  readonly type = "nats" as const;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private connecting?: Promise<void>;
  /** Subjects known to be covered by a stream, by subject. */
  private readonly streams = new Map<string, Promise<string>>();
  private readonly log: Logger;

  constructor(private readonly o: NatsOptions) {
    this.log = o.log ?? silentLogger;
  }

  connect(): Promise<void> {
    this.connecting ??= (async () => {
      const nc = await connect({ servers: this.o.servers, name: "fizz-mqtrigger", maxReconnectAttempts: -1, reconnectTimeWait: 500 });
      this.jsm = await nc.jetstreamManager();
      this.js = nc.jetstream();
      this.nc = nc;
      void nc.closed().then((err) => err && this.log.warn({ err: err.message }, "NATS connection closed"));
    })().catch((err) => {
      this.connecting = undefined; // try again on the next call
      throw err;
    });
    return this.connecting;
  }

  /** The stream holding `subject`, created when there is none. */
  private streamFor(subject: string): Promise<string> {
    let p = this.streams.get(subject);
    if (!p) {
      p = this.ensureStream(subject);
      this.streams.set(subject, p);
      p.catch(() => this.streams.delete(subject));
    }
    return p;
  }

  private async ensureStream(subject: string): Promise<string> {
    const jsm = this.jsm!;
    try {
      return await jsm.streams.find(subject);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const base = streamNameFor(subject);
    const cfg = { subjects: [subject], storage: StorageType.File, retention: RetentionPolicy.Limits, max_age: nanos(this.o.streamMaxAgeMs) };
    try {
      await jsm.streams.add({ name: base, ...cfg });
      this.log.info({ stream: base, subject }, "created stream");
      return base;
    } catch (err) {
      // Another subject mapped to the same name ("a.b" and "a_b"): disambiguate with a hash.
      const name = `${base}_${createHash("sha256").update(subject).digest("hex").slice(0, 8)}`;
      this.log.info({ stream: name, subject, first: (err as Error).message }, "created stream");
      await jsm.streams.add({ name, ...cfg });
      return name;
    }
  }

  async subscribe(req: SubscribeRequest, handler: MessageHandler): Promise<Subscription> {
    const jsm = this.jsm!;
    const stream = await this.streamFor(req.topic);
    const ackWait = nanos(this.o.ackWaitMs);
    let exists = true;
    try {
      await jsm.consumers.info(stream, req.durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      exists = false;
    }
    if (exists) await jsm.consumers.update(stream, req.durable, { ack_wait: ackWait, max_ack_pending: req.maxInFlight });
    else
      await jsm.consumers.add(stream, {
        durable_name: req.durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: ackWait,
        max_ack_pending: req.maxInFlight,
        filter_subject: req.topic,
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: req.startTime.toISOString(),
      });
    const consumer = await this.js!.consumers.get(stream, req.durable);
    const messages: ConsumerMessages = await consumer.consume({ max_messages: req.maxInFlight });
    const loop = (async () => {
      for await (const m of messages) void handler(wrap(stream, m));
    })().catch((err) => this.log.warn({ err: (err as Error).message, durable: req.durable }, "consumer stopped"));
    return {
      stop: async () => {
        await messages.close().catch(() => undefined);
        await loop;
      },
    };
  }

  async publish(topic: string, data: Uint8Array, hdrs: Record<string, string>): Promise<void> {
    await this.streamFor(topic);
    const h = natsHeaders();
    for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
    await this.js!.publish(topic, data, { headers: h });
  }

  async remove(durable: string, topic: string): Promise<void> {
    await this.connect();
    let stream: string;
    try {
      stream = await this.jsm!.streams.find(topic);
      await this.jsm!.consumers.delete(stream, durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.connecting = undefined;
    await nc?.close();
  }
}

function wrap(stream: string, m: JsMsg): QueueMessage {
  const headers: Record<string, string> = {};
  if (m.headers) for (const [k, v] of m.headers) if (v[0] !== undefined) headers[k] = v[0];
  return {
    data: m.data,
    headers,
    id: `${stream}:${m.seq}`,
    redelivered: m.redelivered,
    ack: async () => {
      if (!(await m.ackAck())) throw new Error(`acknowledgement of ${stream}:${m.seq} was not confirmed`);
    },
    retryLater: async () => m.nak(RETRY_LATER_MS),
    working: () => m.working(),
  };
}
