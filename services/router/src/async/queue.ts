// The store seam of async invocations: where they are kept and how a router claims the next one
// to run. The invoker (attempts, backoff, retry rules, bounds, concurrency) is one piece of code
// over two implementations: FileQueue (this router's state dir, the default) and RedisQueue
// (shared by every router replica, FIZZ_ROUTER_ASYNC_REDIS_URL).
import type { Invocation, InvocationSummary } from "./invocation.js";

export interface ListFilter {
  function?: string;
  namespace?: string;
  status?: string;
  limit: number;
}

export interface InvocationQueue {
  /** Loads or connects; `wake` is called whenever an invocation may have become due. */
  start(wake: () => void): Promise<void>;
  /** Called once no attempt runs any more. */
  stop(): Promise<void>;
  /** Unfinished invocations and their request bytes, for the queue bounds. */
  usage(): Promise<{ unfinished: number; bytes: number }>;
  /** Durable when it resolves (the 202 follows); when it throws, nothing of `inv` is left. */
  add(inv: Invocation, body: Buffer): Promise<void>;
  /** The next due invocation, now this router's to run until retryAt or finish; undefined when none. */
  claim(): Promise<Invocation | undefined>;
  body(inv: Invocation): Promise<Buffer>;
  /** Stores the state of a claimed invocation (an attempt started). */
  save(inv: Invocation): Promise<void>;
  /** Due again at `at` (epoch ms): a retry, or an attempt the router's stop interrupted. */
  retryAt(inv: Invocation, at: number): Promise<void>;
  /** Stores the final state; the request body is dropped and retention starts. */
  finish(inv: Invocation): Promise<void>;
  get(id: string): Promise<Invocation | undefined>;
  /** Newest first. */
  list(filter: ListFilter): Promise<InvocationSummary[]>;
  stats(): Record<string, number>;
}

export const ID = /^[0-9a-f-]{36}$/;

export const matches = (filter: ListFilter) => (s: InvocationSummary) =>
  (!filter.function || s.function === filter.function) && (!filter.namespace || s.namespace === filter.namespace) && (!filter.status || s.status === filter.status);
