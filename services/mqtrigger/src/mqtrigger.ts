// Composition root: an Informer over MessageQueueTriggers, a queue adapter per configured queue
// type, the trigger set, and a small HTTP endpoint for health and per-trigger status.
import { adminClient, Informer, keyOf, type AdminClient } from "@fizz/clients";
import { METRICS_PATH, ServiceMetrics, silentLogger, startStatusServer, type Logger, type Service, type StatusServer } from "@fizz/common";
import type { TriggerStatus } from "./engine.js";
import { Kind } from "@fizz/proto";
import type { MqTriggerConfig } from "./config.js";
import { Invoker } from "./invoke.js";
import { KafkaAdapter, kafkaClient, type KafkaLike } from "./kafka.js";
import { NatsAdapter } from "./nats.js";
import type { QueueAdapter } from "./queue.js";
import { TriggerSet, viewOf } from "./triggers.js";

export interface MqTriggerOptions {
  /** A kafkajs-compatible client to use instead of one built from FIZZ_KAFKA_BROKERS (tests). */
  kafka?: KafkaLike;
}

export class MqTrigger implements Service {
  private admin?: AdminClient;
  private informer?: Informer;
  private invoker?: Invoker;
  private triggers?: TriggerSet;
  private readonly adapters = new Map<string, QueueAdapter>();
  private server?: StatusServer;
  private synced = false;

  /** Per trigger (bounded by the MessageQueueTriggers that exist), from the engines' stats at scrape time. */
  readonly metrics = mqMetrics(() => this.triggers?.statuses() ?? []);

  constructor(
    readonly config: MqTriggerConfig,
    private readonly log: Logger = silentLogger,
    private readonly options: MqTriggerOptions = {},
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    if (c.natsServers.length)
      this.adapters.set("nats", new NatsAdapter({ servers: c.natsServers, ackWaitMs: c.ackWaitMs, streamMaxAgeMs: c.streamMaxAgeMs, log: this.log.child({ component: "nats" }) }));
    const kafka = this.options.kafka ?? (c.kafkaBrokers.length ? kafkaClient(c.kafkaBrokers, this.log.child({ component: "kafka" })) : undefined);
    if (kafka) this.adapters.set("kafka", new KafkaAdapter(kafka));
    this.invoker = new Invoker(c.router, c.invokeTimeoutMs);
    const triggers = new TriggerSet({
      adapters: this.adapters,
      invoker: this.invoker,
      retryBackoffMs: c.retryBackoffMs,
      workingEveryMs: Math.max(250, Math.floor(c.ackWaitMs / 3)),
      drainMs: c.drainMs,
      log: this.log.child({ component: "triggers" }),
    });
    this.triggers = triggers;
    this.admin = adminClient(c.admin);
    this.informer = new Informer(this.admin, [Kind.MESSAGE_QUEUE_TRIGGER], this.log.child({ component: "informer" }));
    this.informer.on("event", (ev) => {
      const r = ev.resource;
      if (r.kind.case !== "messageQueueTrigger") return;
      const t = r.kind.value;
      void triggers.set(keyOf(t.metadata?.namespace, t.metadata?.name ?? ""), ev.type === "deleted" ? undefined : viewOf(t));
    });
    this.server = await startStatusServer(c.address, {
      "/healthz": () => (this.synced ? { status: 200, body: { status: "ok" } } : { status: 503, body: { status: "syncing" } }),
      "/triggers": () => ({ status: 200, body: triggers.statuses() }),
      [METRICS_PATH]: this.metrics.route,
    });
    await this.informer.start();
    this.synced = true;
    this.log.info({ address: this.server.address, queues: [...this.adapters.keys()] }, "mqtrigger serving");
  }

  async stop(): Promise<void> {
    this.informer?.stop();
    await this.triggers?.stop();
    await this.server?.close();
    for (const a of this.adapters.values()) await a.close().catch((err) => this.log.warn({ err: (err as Error).message, queue: a.type }, "close failed"));
    this.adapters.clear();
    await this.invoker?.close();
    this.admin?.close();
    this.invoker = undefined;
    this.admin = undefined;
    this.informer = undefined;
    this.server = undefined;
    this.triggers = undefined;
    this.synced = false;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }
}

function mqMetrics(statuses: () => TriggerStatus[]): ServiceMetrics {
  const m = new ServiceMetrics("mqtrigger");
  const labels = (t: TriggerStatus) => ({ namespace: t.namespace, trigger: t.name, queue: t.type });
  m.perItem("messages_handled_total", "Messages handled and acknowledged", "counter", statuses, labels, (t) => t.handled);
  m.perItem("messages_failed_total", "Messages that failed every attempt (sent to the error topic, if set)", "counter", statuses, labels, (t) => t.failed);
  m.perItem("message_retries_total", "Attempts beyond the first", "counter", statuses, labels, (t) => t.retries);
  m.perItem("messages_in_flight", "Messages being handled", "gauge", statuses, labels, (t) => t.inFlight);
  return m;
}
