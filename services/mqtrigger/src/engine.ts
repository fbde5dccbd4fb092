// The trigger engine: per message, invoke the function through the router (retrying with
// backoff), publish the answer to respTopic or, after maxRetries failures, the error to
// errorTopic, and only then acknowledge. Anything short of that (publishing failed, the service
// stopping) hands the message back to the queue, so it is never lost. One engine for every queue.
import { functionPath, type Logger } from "@fizz/common";
import type { Invoker, InvokeResult } from "./invoke.js";
import { copyable } from "./invoke.js";
import { durableName, type QueueAdapter, type QueueMessage, type Subscription } from "./queue.js";
import { Semaphore, sleep } from "./semaphore.js";

/** What the engine needs of a MessageQueueTrigger, defaults applied. */
export interface TriggerView {
  namespace: string;
  name: string;
  uid: string;
  type: string;
  fn: string;
  topic: string;
  respTopic: string;
  errorTopic: string;
  maxRetries: number;
  contentType: string;
  maxInFlight: number;
  createdAt: Date;
}

export interface TriggerStatus {
  namespace: string;
  name: string;
  type: string;
  topic: string;
  function: string;
  subscribed: boolean;
  /** Why it is not subscribed (queue not configured, unreachable, …). */
  reason?: string;
  inFlight: number;
  /** Messages whose function answered 2xx. */
  handled: number;
  /** Messages that failed every attempt (sent to errorTopic, if set). */
  failed: number;
  retries: number;
  /** Messages handed back for redelivery (publishing failed, stopping). */
  requeued: number;
  lastError?: string;
  lastErrorAt?: string;
}

export interface EngineDeps {
  adapter: QueueAdapter;
  invoker: Invoker;
  retryBackoffMs: number;
  /** How often a message being handled is reported as still in progress. */
  workingEveryMs: number;
  log: Logger;
}

/** Largest function answer copied into an error-topic record. */
const ERROR_BODY_MAX = 64 * 1024;
const MAX_BACKOFF_MS = 30_000;

/** Fission's header names, then Fizz's own. */
function invokeHeaders(t: TriggerView, m: QueueMessage, attempt: number): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers)) if (copyable(k)) h[k.toLowerCase()] = v;
  h["content-type"] = t.contentType;
  h["x-fission-mqtrigger-topic"] = t.topic;
  h["x-fission-mqtrigger-resptopic"] = t.respTopic;
  h["x-fission-mqtrigger-errortopic"] = t.errorTopic;
  h["x-fizz-mqtrigger-name"] = t.name;
  h["x-fizz-mqtrigger-namespace"] = t.namespace;
  h["x-fizz-mqtrigger-message"] = m.id;
  h["x-fizz-mqtrigger-attempt"] = String(attempt);
  if (m.redelivered) h["x-fizz-mqtrigger-redelivered"] = "true";
  return h;
}

/** NATS and Kafka headers are single-line. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ");

function textOf(b: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

/** The error-topic record: what failed and the original message, as JSON. */
export function errorRecord(t: TriggerView, m: QueueMessage, r: InvokeResult, attempts: number): { data: Uint8Array; headers: Record<string, string> } {
  const payload = textOf(m.data);
  const doc = {
    error: r.error ?? "failed",
    status: r.status,
    body: r.body.subarray(0, ERROR_BODY_MAX).toString("utf8"),
    bodyTruncated: r.body.length > ERROR_BODY_MAX,
    attempts,
    trigger: t.name,
    namespace: t.namespace,
    function: t.fn,
    topic: t.topic,
    messageId: m.id,
    ...(payload !== undefined ? { payload } : { payloadBase64: Buffer.from(m.data).toString("base64") }),
  };
  return {
    data: Buffer.from(JSON.stringify(doc)),
    headers: {
      "content-type": "application/json",
      MessageSource: t.topic, // Fission's error-record header
      "x-fizz-mqtrigger-name": t.name,
      "x-fizz-mqtrigger-error": oneLine(doc.error),
      "x-fizz-mqtrigger-status": String(r.status),
    },
  };
}

/** One subscribed trigger: its subscription, in-flight bound and counters. */
export class TriggerRunner {
  private sub?: Subscription;
  private readonly sem: Semaphore;
  private readonly abort = new AbortController();
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  readonly stats: Omit<TriggerStatus, "namespace" | "name" | "type" | "topic" | "function"> = {
    subscribed: false,
    inFlight: 0,
    handled: 0,
    failed: 0,
    retries: 0,
    requeued: 0,
  };

  constructor(
    private t: TriggerView,
    private readonly deps: EngineDeps,
  ) {
    this.sem = new Semaphore(t.maxInFlight);
  }

  get view(): TriggerView {
    return this.t;
  }

  /** Changes that need no new subscription (function, topics to publish to, retries, content type). */
  update(t: TriggerView): void {
    this.t = t;
  }

  async start(startTime: Date): Promise<void> {
    const a = this.deps.adapter;
    await a.connect();
    if (this.stopping) return;
    this.sub = await a.subscribe({ durable: this.durable, topic: this.t.topic, maxInFlight: this.t.maxInFlight, startTime }, (m) => this.handle(m));
    this.stats.subscribed = true;
    this.stats.reason = undefined;
  }

  get durable(): string {
    return durableNameOf(this.t);
  }

  /**
   * Stops delivery, lets messages being handled finish for up to `drainMs`, then aborts the rest
   * (they go back to the queue for redelivery).
   */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    const subStopped = this.sub?.stop();
    if (this.stats.inFlight > 0) await Promise.race([this.idle(), sleep(drainMs)]);
    this.abort.abort();
    await this.idle();
    await subStopped;
    this.stats.subscribed = false;
  }

  private idle(): Promise<void> {
    if (this.stats.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private noteError(msg: string): void {
    this.stats.lastError = msg;
    this.stats.lastErrorAt = new Date().toISOString();
  }

  private async handle(m: QueueMessage): Promise<void> {
    await this.sem.acquire();
    this.stats.inFlight++;
    const keepAlive = setInterval(() => m.working(), this.deps.workingEveryMs);
    const signal = this.abort.signal;
    try {
      if (signal.aborted) throw new Error("stopping");
      const t = this.t; // one spec for the whole message, even if the trigger changes meanwhile
      const path = functionPath(t.namespace, t.fn);
      let attempt = 0;
      let r: InvokeResult;
      for (;;) {
        attempt++;
        r = await this.deps.invoker.invoke(path, m.data, invokeHeaders(t, m, attempt), signal);
        if (r.ok || attempt > t.maxRetries) break;
        this.stats.retries++;
        await sleep(Math.min(this.deps.retryBackoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS), signal);
      }
      if (r.ok) {
        if (t.respTopic) await this.deps.adapter.publish(t.respTopic, r.body, { ...r.headers, "x-fizz-mqtrigger-name": t.name, "x-fizz-mqtrigger-message": m.id });
      } else {
        const why = `${r.error}${r.body.length ? `: ${r.body.subarray(0, 200).toString("utf8")}` : ""}`;
        this.noteError(oneLine(why));
        if (t.errorTopic) {
          const rec = errorRecord(t, m, r, attempt);
          await this.deps.adapter.publish(t.errorTopic, rec.data, rec.headers);
        } else this.deps.log.warn({ trigger: t.name, message: m.id, error: why }, "message failed and the trigger has no errorTopic; dropped");
      }
      await m.ack();
      // Counted once acknowledged: a message handed back is not handled yet.
      if (r.ok) this.stats.handled++;
      else this.stats.failed++;
    } catch (err) {
      // Not handled to the end: the queue keeps it and delivers it again.
      this.stats.requeued++;
      if (!signal.aborted) {
        this.noteError(`message ${m.id} handed back: ${(err as Error).message}`);
        this.deps.log.warn({ trigger: this.t.name, message: m.id, err: (err as Error).message }, "message not handled; it will be redelivered");
      }
      await m.retryLater().catch(() => undefined);
    } finally {
      clearInterval(keepAlive);
      this.stats.inFlight--;
      this.sem.release();
      if (this.stats.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}

export const durableNameOf = (t: Pick<TriggerView, "namespace" | "name" | "uid">) => durableName(t.namespace, t.name, t.uid);
