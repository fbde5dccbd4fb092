// Records in Redis. Each record is a hash at fizz:rec:<id> (meta = the record without bodies,
// req/res = the bodies, so listings never read bodies) that expires after its retention. Sorted
// sets scored by timestamp index them: fizz:recidx:all, fizz:recidx:fn:<ns>/<name> and
// fizz:recidx:tr:<ns>/<name>. Index members "expire with" their records: pruned by age on every
// write, skipped and removed when their record is gone on read, and an idle index expires as a
// whole. Memory is bounded: each index keeps at most maxPerIndex members, and records pushed out
// of the global index are deleted.
import { Redis } from "ioredis";
import { create, fromBinary } from "@bufbuild/protobuf";
import { RecordSchema, type Record as RecordMsg } from "@fizz/proto";
import { silentLogger, unavailable, type Logger } from "@fizz/common";
import { indexOf, splitBodies, type EncodedRecord, type RecordIndex } from "./record-bytes.js";
import { resolveFilter, retentionSecondsOf, type ListFilter, type RecordStore } from "./store.js";

export interface RedisStoreOptions {
  url: string;
  /** Most members per index; the oldest are removed beyond it. */
  maxPerIndex: number;
  /** Index members older than this are pruned on write (the longest retention honoured). */
  maxIndexAgeSeconds?: number;
  /** Key prefix, "fizz:" by default. */
  prefix?: string;
}

const DEFAULT_MAX_INDEX_AGE_SECONDS = 30 * 24 * 3600;
const PAGE = 200;

export class RedisStore implements RecordStore {
  private redis?: Redis;
  private readonly prefix: string;

  constructor(
    private readonly opts: RedisStoreOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.prefix = opts.prefix ?? "fizz:";
  }

  private recKey = (id: string) => `${this.prefix}rec:${id}`;
  private allKey = () => `${this.prefix}recidx:all`;
  private fnKey = (ns: string, name: string) => `${this.prefix}recidx:fn:${ns}/${name}`;
  private trKey = (ns: string, name: string) => `${this.prefix}recidx:tr:${ns}/${name}`;

  private indexesOf(r: RecordIndex): string[] {
    const keys = [this.allKey(), this.fnKey(r.namespace, r.function)];
    if (r.trigger) keys.push(this.trKey(r.namespace, r.trigger));
    return keys;
  }

  private get client(): Redis {
    if (!this.redis) throw unavailable("the Redis record store is not open");
    return this.redis;
  }

  async open(): Promise<void> {
    const redis = new Redis(this.opts.url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000 });
    redis.on("error", (err: Error) => this.log.warn({ err: err.message }, "redis connection error"));
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw unavailable(`cannot reach Redis at ${this.opts.url}: ${(err as Error).message}`);
    }
    this.redis = redis;
  }

  async put(records: readonly EncodedRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const now = Date.now();
    const m = this.client.multi();
    let queued = 0;
    // Each index's longest retention in this batch: the index key lives at least that long.
    const touched = new Map<string, number>();
    for (const { index: r, bytes } of records) {
      const ttl = retentionSecondsOf(r);
      const key = this.recKey(r.requestId);
      const { meta, requestBody, responseBody } = splitBodies(bytes);
      m.hset(key, { meta: Buffer.from(meta), req: Buffer.from(requestBody), res: Buffer.from(responseBody) });
      m.expire(key, ttl);
      queued += 2;
      for (const idx of this.indexesOf(r)) {
        m.zadd(idx, Number(r.timestampMs), r.requestId);
        queued++;
        touched.set(idx, Math.max(touched.get(idx) ?? 0, ttl));
      }
    }
    const oldest = now - (this.opts.maxIndexAgeSeconds ?? DEFAULT_MAX_INDEX_AGE_SECONDS) * 1000;
    const over = -(this.opts.maxPerIndex + 1);
    let overflowAt = -1;
    for (const [idx, ttl] of touched) {
      m.zremrangebyscore(idx, "-inf", `(${oldest}`);
      queued++;
      // Records pushed out of the global index are deleted below, bounding what Redis holds.
      if (idx === this.allKey()) {
        overflowAt = queued++;
        m.zrange(idx, 0, over);
      }
      m.zremrangebyrank(idx, 0, over);
      m.expire(idx, ttl, "NX");
      m.expire(idx, ttl, "GT");
      queued += 3;
    }
    const results = (await m.exec()) ?? [];
    for (const [err] of results) if (err) throw unavailable(`redis write failed: ${err.message}`);
    const evicted = (results[overflowAt]?.[1] as string[] | undefined) ?? [];
    if (evicted.length) {
      await this.client.del(...evicted.map(this.recKey));
      this.log.debug({ evicted: evicted.length }, "oldest records evicted (store full)");
    }
    return records.length;
  }

  async get(requestId: string): Promise<RecordMsg | undefined> {
    const [meta, req, res] = await this.client.hmgetBuffer(this.recKey(requestId), "meta", "req", "res");
    if (!meta) return undefined;
    const r = fromBinary(RecordSchema, meta);
    return create(RecordSchema, { ...r, requestBody: req ?? new Uint8Array(0), responseBody: res ?? new Uint8Array(0) });
  }

  async list(filter: ListFilter): Promise<RecordMsg[]> {
    const f = resolveFilter(filter);
    const idx = f.trigger ? this.trKey(f.namespace!, f.trigger) : f.function ? this.fnKey(f.namespace!, f.function) : this.allKey();
    const out: RecordMsg[] = [];
    for (let offset = 0; out.length < f.limit; offset += PAGE) {
      const ids = await this.client.zrevrangebyscore(idx, f.untilMs, f.sinceMs, "LIMIT", offset, PAGE);
      if (ids.length === 0) break;
      const p = this.client.pipeline();
      for (const id of ids) p.hgetBuffer(this.recKey(id), "meta");
      const metas = (await p.exec()) ?? [];
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const meta = metas[i]?.[1] as Buffer | null | undefined;
        if (!meta) return void gone.push(id);
        const r = fromBinary(RecordSchema, meta);
        if (out.length < f.limit && f.matches(indexOf(r))) out.push(r);
      });
      // Lazy cleanup: the record expired, so its index entry goes too.
      if (gone.length) await this.client.zrem(idx, ...gone);
      if (ids.length < PAGE) break;
      offset -= gone.length;
    }
    return out;
  }

  async delete(requestIds: string[]): Promise<number> {
    const ids = [...new Set(requestIds)];
    if (ids.length === 0) return 0;
    const p = this.client.pipeline();
    for (const id of ids) p.hgetBuffer(this.recKey(id), "meta");
    const metas = (await p.exec()) ?? [];
    const m = this.client.multi();
    const delAt: number[] = [];
    let queued = 0;
    ids.forEach((id, i) => {
      delAt.push(queued++);
      m.del(this.recKey(id));
      const meta = metas[i]?.[1] as Buffer | null | undefined;
      const keys = meta ? this.indexesOf(indexOf(fromBinary(RecordSchema, meta))) : [this.allKey()];
      for (const k of keys) m.zrem(k, id);
      queued += keys.length;
    });
    const results = (await m.exec()) ?? [];
    return delAt.filter((at) => results[at]?.[1] === 1).length;
  }

  async close(): Promise<void> {
    const r = this.redis;
    this.redis = undefined;
    if (r) await r.quit().catch(() => r.disconnect());
  }
}
