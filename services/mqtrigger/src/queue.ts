// The seam between the trigger engine and a message queue. Adapters (NATS JetStream, Kafka) are
// thin: they deliver messages, acknowledge or hand them back, and publish; retries, responses,
// error topics and the in-flight bound live once, in the engine.

/** One delivered message. It is acknowledged only after it has been handled. */
export interface QueueMessage {
  readonly data: Uint8Array;
  /** The message's own headers (first value of each), passed on to the function. */
  readonly headers: Record<string, string>;
  /** Where it came from, for logs and the X-Fizz-MQTrigger-Message header ("<stream>:<seq>", "<partition>:<offset>"). */
  readonly id: string;
  /** Delivered before (e.g. to an mqtrigger that died before acknowledging it). */
  readonly redelivered: boolean;
  /** Done with: never deliver it again (commit the offset). */
  ack(): Promise<void>;
  /** Not handled: deliver it again later. */
  retryLater(): Promise<void>;
  /** Still being handled: keep it from being redelivered meanwhile (JetStream "in progress"). */
  working(): void;
}

export interface SubscribeRequest {
  /** Durable consumer / consumer group name (see durableName). */
  durable: string;
  topic: string;
  /** Most messages delivered and not yet acknowledged. */
  maxInFlight: number;
  /** Messages published from this time on are for this subscription (the trigger's creation). */
  startTime: Date;
}

export type MessageHandler = (m: QueueMessage) => Promise<void>;

export interface Subscription {
  /** Stops delivering; messages already delivered are still handled by their handler. */
  stop(): Promise<void>;
}

export interface QueueAdapter {
  readonly type: "nats" | "kafka";
  connect(): Promise<void>;
  /**
   * Starts delivering `topic` to `handler`. The handler's promise settling means the message was
   * acknowledged or handed back; adapters that deliver in order wait for it.
   */
  subscribe(req: SubscribeRequest, handler: MessageHandler): Promise<Subscription>;
  /** Publishes durably: resolves once the queue has it. */
  publish(topic: string, data: Uint8Array, headers: Record<string, string>): Promise<void>;
  /** Forgets a durable consumer for good (its trigger was deleted). */
  remove(durable: string, topic: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The durable consumer (NATS) / consumer group (Kafka) of a trigger: stable across restarts and
 * updates, new for a trigger deleted and created again under the same name (the uid changes).
 */
export function durableName(namespace: string, name: string, uid: string): string {
  const id = uid.replace(/[^a-zA-Z0-9]/g, "").slice(0, 12) || "nouid";
  return `fizz-mqt-${namespace}-${name}-${id}`.replace(/[^a-zA-Z0-9_-]/g, "_");
}
