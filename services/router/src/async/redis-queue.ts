// Async invocations in Redis, shared by every router replica (FIZZ_ROUTER_ASYNC_REDIS_URL): any
// replica accepts, any replica answers /fizz-invocations, and one replica at a time runs each.
//
// Keys (prefix fizz:inv:): state:<id> (the invocation as JSON), body:<id> (the request body, until
// it finishes), lease:<id> (the replica running it, with a TTL), queue (unfinished ids scored by
// when they are due), created (every kept id scored by acceptance, for lists), finished (finished
// ids scored by when they finished, for retention), bytes (request bytes of unfinished ones).
//
// Claiming: an unfinished id stays in `queue` until it finishes; a replica claims a due one by
// setting its lease key (SET NX PX) and renews the lease while the attempt runs. A replica that
// dies stops renewing, the lease expires and another replica claims the invocation: delivery is
// at-least-once, like retries already are (functions see X-Fizz-Invocation-Id to deduplicate).
// Every write of a claimed invocation checks the lease first, so a replica that lost its lease
// cannot overwrite the state of the one that took over.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "@fizz/common";
import { summaryOf, type Invocation, type InvocationSummary } from "./invocation.js";
import { ID, matches, type InvocationQueue, type ListFilter } from "./queue.js";

const P = "fizz:inv:";
const QUEUE = `${P}queue`;
const CREATED = `${P}created`;
const FINISHED = `${P}finished`;
const BYTES = `${P}bytes`;
const PAGE = 200;

// ARGV: now, token, lease ms, prefix. The first due id whose lease is free becomes ours.
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, id in ipairs(ids) do
  local state = redis.call('GET', ARGV[4] .. 'state:' .. id)
  if not state then
    redis.call('ZREM', KEYS[1], id)
  elseif redis.call('SET', ARGV[4] .. 'lease:' .. id, ARGV[2], 'NX', 'PX', ARGV[3]) then
    return state
  end
end
return false`;

// Writes of a claimed invocation. KEYS: lease, state, queue, body, finished, bytes.
// ARGV: token, state json, op ("save" | "retry" | "finish"), lease ms | due ms | finished ms, id, body bytes.
// Refused (0) when another replica holds the lease; an expired lease nobody took is fine.
const WRITE = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[3] == 'save' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
elseif ARGV[3] == 'retry' then
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
  redis.call('DEL', KEYS[1])
else
  if redis.call('ZREM', KEYS[3], ARGV[5]) == 1 then redis.call('DECRBY', KEYS[6], ARGV[6]) end
  redis.call('DEL', KEYS[4], KEYS[1])
  redis.call('ZADD', KEYS[5], ARGV[4], ARGV[5])
end
return 1`;

// KEYS: lease. ARGV: token, lease ms.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

// KEYS: finished, created. ARGV: finished before (ms), most kept, prefix.
const PRUNE = `
local drop = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 1000)
local over = redis.call('ZCARD', KEYS[1]) - #drop - tonumber(ARGV[2])
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], #drop, #drop + over - 1)) do table.insert(drop, id) end
end
for _, id in ipairs(drop) do
  redis.call('DEL', ARGV[3] .. 'state:' .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #drop`;

export interface RedisQueueOptions {
  url: string;
  /** How long a claim lasts without renewal (renewed every third of it while an attempt runs). */
  leaseMs: number;
  /** How often the queue is checked for due invocations (retries, other replicas' leftovers). */
  pollMs: number;
  retention: number;
  retentionMs: number;
}

export class RedisQueue implements InvocationQueue {
  private readonly redis: Redis;
  /** This replica's lease value. */
  private readonly token = randomUUID();
  /** Invocations this replica holds a lease on. */
  private readonly held = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly o: RedisQueueOptions,
    private readonly log: Logger,
  ) {
    // No offline queue: while Redis is unreachable a write fails at once (the accept answers 503)
    // instead of waiting; the client keeps reconnecting in the background.
    this.redis = new Redis(o.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5000 });
    this.redis.on("error", (err: Error) => this.log.warn({ err: err.message }, "async invocation redis error"));
  }

  async start(wake: () => void): Promise<void> {
    // A router whose Redis is down still serves sync traffic; async calls fail until it is back.
    await this.redis.connect().catch((err: Error) => this.log.error({ err: err.message, url: this.o.url }, "cannot reach the async invocation redis yet"));
    const every = (ms: number, fn: () => Promise<unknown> | void) => {
      const t = setInterval(() => void Promise.resolve(fn()).catch((err: Error) => this.log.warn({ err: err.message }, "async invocation redis housekeeping failed")), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.pollMs, wake);
    every(Math.max(1, Math.floor(this.o.leaseMs / 3)), () => this.renew());
    every(Math.min(this.o.retentionMs, 60_000), () => this.prune());
    wake();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.redis.disconnect();
  }

  async usage() {
    const r = this.client();
    const [n, b] = await Promise.all([r.zcard(QUEUE), r.get(BYTES)]);
    return { unfinished: n, bytes: Number(b ?? 0) };
  }

  async add(inv: Invocation, body: Buffer): Promise<void> {
    const id = inv.invocationId;
    const at = Date.parse(inv.createdAt);
    // One MULTI: either Redis applies all of it or, when the connection drops, none of it.
    const m = this.client().multi().incrby(BYTES, body.length).set(this.key("state", id), JSON.stringify(inv));
    if (body.length) m.set(this.key("body", id), body);
    const res = await m.zadd(CREATED, at, id).zadd(QUEUE, at, id).exec();
    const failed = res?.find(([err]) => err);
    if (res && !failed) return;
    // A command Redis refused inside EXEC does not undo the others: undo them before the 503.
    if (res && !res[0]![0]) await this.redis.decrby(BYTES, body.length).catch(() => undefined);
    await this.redis
      .multi()
      .zrem(QUEUE, id)
      .zrem(CREATED, id)
      .del(this.key("state", id), this.key("body", id))
      .exec()
      .catch((err: Error) => this.log.error({ err: err.message, invocation: id }, "cleaning up a refused async invocation failed"));
    throw new Error(`redis refused the write: ${failed?.[0]?.message ?? "transaction aborted"}`);
  }

  async claim(): Promise<Invocation | undefined> {
    // Redis down: nothing to claim (the connection errors are logged already, not every poll).
    if (this.redis.status !== "ready") return undefined;
    const state = (await this.redis.eval(CLAIM, 1, QUEUE, Date.now(), this.token, this.o.leaseMs, P)) as string | null;
    if (!state) return undefined;
    const inv = JSON.parse(state) as Invocation;
    this.held.add(inv.invocationId);
    return inv;
  }

  async body(inv: Invocation): Promise<Buffer> {
    if (inv.bodyBytes === 0) return Buffer.alloc(0);
    const b = await this.redis.getBuffer(this.key("body", inv.invocationId));
    if (!b) throw new Error("the body is missing from redis");
    return b;
  }

  save(inv: Invocation): Promise<void> {
    return this.write(inv, "save", this.o.leaseMs);
  }

  retryAt(inv: Invocation, at: number): Promise<void> {
    this.held.delete(inv.invocationId);
    return this.write(inv, "retry", at);
  }

  async finish(inv: Invocation): Promise<void> {
    this.held.delete(inv.invocationId);
    await this.write(inv, "finish", Date.parse(inv.finishedAt ?? "") || Date.now());
    await this.prune();
  }

  async get(id: string): Promise<Invocation | undefined> {
    if (!ID.test(id)) return undefined;
    const s = await this.client().get(this.key("state", id));
    return s ? (JSON.parse(s) as Invocation) : undefined;
  }

  async list(filter: ListFilter): Promise<InvocationSummary[]> {
    const out: InvocationSummary[] = [];
    const keep = matches(filter);
    for (let start = 0; out.length < filter.limit; start += PAGE) {
      const ids = await this.client().zrevrange(CREATED, start, start + PAGE - 1);
      if (!ids.length) break;
      const states = await this.redis.mget(ids.map((id) => this.key("state", id)));
      for (const s of states) {
        if (!s) continue; // pruned between the two reads
        const summary = summaryOf(JSON.parse(s) as Invocation);
        if (keep(summary) && out.length < filter.limit) out.push(summary);
      }
    }
    return out;
  }

  stats() {
    return { held: this.held.size };
  }

  /** Drops finished invocations past the retention (by age, then by count). */
  async prune(): Promise<number> {
    return (await this.redis.eval(PRUNE, 2, FINISHED, CREATED, Date.now() - this.o.retentionMs, this.o.retention, P)) as number;
  }

  /** The client, or a clear error while Redis is unreachable (rather than ioredis' stream errors). */
  private client(): Redis {
    if (this.redis.status !== "ready") throw new Error(`redis at ${hostOf(this.o.url)} is unreachable (connection ${this.redis.status})`);
    return this.redis;
  }

  private key(kind: "state" | "body" | "lease", id: string): string {
    return `${P}${kind}:${id}`;
  }

  private async write(inv: Invocation, op: "save" | "retry" | "finish", n: number): Promise<void> {
    const id = inv.invocationId;
    const keys = [this.key("lease", id), this.key("state", id), QUEUE, this.key("body", id), FINISHED, BYTES];
    const ok = await this.redis.eval(WRITE, keys.length, ...keys, this.token, JSON.stringify(inv), op, n, id, inv.bodyBytes);
    if (ok !== 1) {
      this.held.delete(id);
      throw new Error(`invocation ${id} was taken over by another router replica (its lease expired); this replica's ${op} was dropped`);
    }
  }

  private async renew(): Promise<void> {
    for (const id of this.held) {
      const ok = await this.redis.eval(RENEW, 1, this.key("lease", id), this.token, this.o.leaseMs);
      if (ok !== 1 && this.held.delete(id)) this.log.warn({ invocation: id }, "lost the lease on a running async invocation; another replica may run it again");
    }
  }
}

/** host:port of a Redis URL, without credentials, for error messages. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(bad url)";
  }
}
