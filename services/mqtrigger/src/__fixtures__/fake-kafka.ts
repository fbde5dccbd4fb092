// An in-memory stand-in for the slice of kafkajs the Kafka adapter uses (KafkaLike): topics with
// partitions, consumer groups with committed offsets, eachMessage with partitionsConsumedConcurrently,
// seek, and a producer. One member per group (no rebalancing). No Kafka broker can be installed
// here; this lets the adapter run the same engine contract as NATS.
import { EventEmitter } from "node:events";
import type { KafkaConsumerLike, KafkaLike, KafkaMessageLike, KafkaProducerLike } from "../kafka.js";

export interface StoredRecord {
  value: Buffer;
  headers: Record<string, string>;
  offset: string;
}

export class FakeKafka implements KafkaLike {
  readonly topics = new Map<string, StoredRecord[][]>();
  /** groupId → "topic/partition" → next offset to read. */
  readonly committed = new Map<string, Map<string, number>>();
  readonly deletedGroups: string[] = [];
  private readonly changed = new EventEmitter();
  private rr = 0;

  constructor(readonly partitions = 4) {
    this.changed.setMaxListeners(0);
  }

  private partitionsOf(topic: string): StoredRecord[][] {
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = Array.from({ length: this.partitions }, () => [])));
    return t;
  }

  /** Appends a record, round-robin over partitions (like a key-less producer). */
  produce(topic: string, value: Buffer | string, headers: Record<string, string> = {}): void {
    const parts = this.partitionsOf(topic);
    const p = parts[this.rr++ % parts.length]!;
    const rec = { value: Buffer.from(value), headers, offset: String(p.length) };
    p.push(rec);
    this.changed.emit("append", topic, rec);
  }

  /** Calls `cb` for every record appended to `topic` from now on. */
  onRecord(topic: string, cb: (r: StoredRecord) => void): void {
    this.changed.on("append", (t?: string, r?: StoredRecord) => t === topic && r && cb(r));
  }

  records(topic: string): StoredRecord[] {
    return this.partitionsOf(topic).flat();
  }

  /** Records published to `topic` not yet committed by `group`. */
  uncommitted(group: string, topic: string): number {
    const c = this.committed.get(group);
    return this.partitionsOf(topic).reduce((n, p, i) => n + p.length - (c?.get(`${topic}/${i}`) ?? 0), 0);
  }

  consumer({ groupId }: { groupId: string }): KafkaConsumerLike {
    return new FakeConsumer(this, groupId, this.changed);
  }

  producer(): KafkaProducerLike {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (r) => {
        for (const m of r.messages) this.produce(r.topic, m.value, m.headers);
        return [];
      },
    };
  }

  admin() {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      deleteGroups: async (ids: string[]) => {
        for (const id of ids) this.committed.delete(id);
        this.deletedGroups.push(...ids);
      },
    };
  }

  /** @internal */
  partitionsFor(topic: string): StoredRecord[][] {
    return this.partitionsOf(topic);
  }
}

class FakeConsumer implements KafkaConsumerLike {
  private topic = "";
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly position = new Map<number, number>();

  constructor(
    private readonly kafka: FakeKafka,
    private readonly group: string,
    private readonly changed: EventEmitter,
  ) {}

  async connect(): Promise<void> {}

  async subscribe(s: { topics: string[]; fromBeginning?: boolean }): Promise<void> {
    this.topic = s.topics[0]!;
    const committed = this.kafka.committed.get(this.group);
    this.kafka.partitionsFor(this.topic).forEach((p, i) => {
      // A group with no committed offset starts at the end, unless fromBeginning.
      this.position.set(i, committed?.get(`${this.topic}/${i}`) ?? (s.fromBeginning ? 0 : p.length));
    });
  }

  async run(c: Parameters<KafkaConsumerLike["run"]>[0]): Promise<void> {
    this.running = true;
    const parts = this.kafka.partitionsFor(this.topic);
    // Like kafkajs: partitions are worked on concurrently up to the limit, each in order.
    const lanes = Math.max(1, Math.min(c.partitionsConsumedConcurrently ?? 1, parts.length));
    for (let lane = 0; lane < lanes; lane++) this.loops.push(this.lane(lane, lanes, c.eachMessage));
  }

  private async lane(lane: number, lanes: number, each: Parameters<KafkaConsumerLike["run"]>[0]["eachMessage"]): Promise<void> {
    const parts = this.kafka.partitionsFor(this.topic);
    while (this.running) {
      let worked = false;
      for (let i = lane; i < parts.length && this.running; i += lanes) {
        const pos = this.position.get(i) ?? 0;
        const rec = parts[i]![pos];
        if (!rec) continue;
        worked = true;
        this.position.set(i, pos + 1);
        const message: KafkaMessageLike = { value: rec.value, offset: rec.offset, headers: { ...rec.headers } };
        await each({ topic: this.topic, partition: i, message, heartbeat: async () => undefined });
      }
      if (!worked && this.running) await new Promise<void>((r) => {
        const done = () => {
          this.changed.off("append", done);
          this.changed.off("stop", done);
          r();
        };
        this.changed.on("append", done);
        this.changed.on("stop", done);
      });
    }
  }

  async commitOffsets(o: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    let g = this.kafka.committed.get(this.group);
    if (!g) this.kafka.committed.set(this.group, (g = new Map()));
    for (const x of o) g.set(`${x.topic}/${x.partition}`, Number(x.offset));
  }

  seek(o: { topic: string; partition: number; offset: string }): void {
    this.position.set(o.partition, Number(o.offset));
    this.changed.emit("append");
  }

  /** Like kafkajs: stops fetching and waits for the messages being handled. */
  async disconnect(): Promise<void> {
    this.running = false;
    this.changed.emit("stop");
    await Promise.all(this.loops);
  }
}
