// The set of triggers this mqtrigger runs, kept in step with the controller's
// MessageQueueTriggers. Changes to one trigger apply one at a time, in order.
import type { MessageQueueTrigger } from "@fizz/proto";
import { nsOf } from "@fizz/clients";
import type { Logger } from "@fizz/common";
import { durableNameOf, TriggerRunner, type EngineDeps, type TriggerStatus, type TriggerView } from "./engine.js";
import type { QueueAdapter } from "./queue.js";

/** Where each queue type is configured, for the "not configured" status. */
const SETTING: Record<string, string> = { nats: "FIZZ_NATS_URL", kafka: "FIZZ_KAFKA_BROKERS" };
const RETRY_MAX_MS = 10_000;

export function viewOf(t: MessageQueueTrigger): TriggerView {
  const s = t.spec;
  const created = Date.parse(t.metadata?.creationTimestamp ?? "");
  return {
    namespace: nsOf(t.metadata),
    name: t.metadata?.name ?? "",
    uid: t.metadata?.uid ?? "",
    type: s?.messageQueueType ?? "",
    fn: s?.functionref?.name ?? "",
    topic: s?.topic ?? "",
    respTopic: s?.respTopic ?? "",
    errorTopic: s?.errorTopic ?? "",
    maxRetries: Math.max(0, s?.maxRetries ?? 0),
    contentType: s?.contentType || "application/json",
    maxInFlight: Math.max(1, s?.maxInFlight ?? 10),
    createdAt: Number.isNaN(created) ? new Date() : new Date(created),
  };
}

interface Entry {
  view: TriggerView;
  runner?: TriggerRunner;
  reason?: string;
  retry?: NodeJS.Timeout;
}

export interface TriggerSetDeps extends Omit<EngineDeps, "adapter"> {
  adapters: ReadonlyMap<string, QueueAdapter>;
  drainMs: number;
}

export class TriggerSet {
  private readonly entries = new Map<string, Entry>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: TriggerSetDeps) {}

  private get log(): Logger {
    return this.deps.log;
  }

  /** A trigger appeared or changed (`t`), or is gone (undefined). */
  set(key: string, t: TriggerView | undefined): Promise<void> {
    this.chain = this.chain.then(() => this.apply(key, t)).catch((err) => this.log.error({ err, trigger: key }, "trigger change failed"));
    return this.chain;
  }

  private async apply(key: string, next: TriggerView | undefined): Promise<void> {
    const cur = this.entries.get(key);
    if (cur && next && sameSubscription(cur.view, next)) {
      cur.view = next;
      cur.runner?.update(next);
      return;
    }
    if (cur) {
      clearTimeout(cur.retry);
      this.entries.delete(key);
      await cur.runner?.stop(this.deps.drainMs);
      // Gone, or now on another topic or queue: its durable consumer has no further use.
      if (!next || next.topic !== cur.view.topic || next.type !== cur.view.type) await this.forget(cur.view);
    }
    if (!next) return;
    const entry: Entry = { view: next };
    this.entries.set(key, entry);
    const adapter = this.deps.adapters.get(next.type);
    if (!adapter) {
      entry.reason = `${next.type} is not configured: set ${SETTING[next.type] ?? "its connection setting"} for the mqtrigger`;
      this.log.warn({ trigger: key, type: next.type }, entry.reason);
      return;
    }
    const runner = new TriggerRunner(next, { ...this.deps, adapter });
    entry.runner = runner;
    // A trigger moved to another topic starts there from now on; otherwise from its creation.
    const startTime = cur && cur.view.topic !== next.topic ? new Date() : next.createdAt;
    let delay = 500;
    const attempt = () => {
      runner.start(startTime).then(
        () => {
          entry.reason = undefined;
          this.log.info({ trigger: key, type: next.type, topic: next.topic, durable: runner.durable }, "subscribed");
        },
        (err: Error) => {
          if (this.entries.get(key) !== entry) return;
          entry.reason = `cannot subscribe: ${err.message}`;
          this.log.warn({ trigger: key, err: err.message, retryInMs: delay }, "cannot subscribe; retrying");
          entry.retry = setTimeout(attempt, delay);
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        },
      );
    };
    attempt();
  }

  private async forget(v: TriggerView): Promise<void> {
    const adapter = this.deps.adapters.get(v.type);
    if (!adapter) return;
    try {
      await adapter.remove(durableNameOf(v), v.topic);
    } catch (err) {
      this.log.warn({ trigger: `${v.namespace}/${v.name}`, err: (err as Error).message }, "could not remove the durable consumer");
    }
  }

  statuses(): TriggerStatus[] {
    return [...this.entries.values()].map((e) => {
      const v = e.view;
      const stats = e.runner?.stats ?? { subscribed: false, inFlight: 0, handled: 0, failed: 0, retries: 0, requeued: 0 };
      return { namespace: v.namespace, name: v.name, type: v.type, topic: v.topic, function: v.fn, ...stats, reason: e.reason };
    });
  }

  /** Stops every runner; messages still being handled after drainMs go back to their queue. */
  async stop(): Promise<void> {
    await this.chain;
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) clearTimeout(e.retry);
    await Promise.all(all.map((e) => e.runner?.stop(this.deps.drainMs)));
  }
}

/** Same queue, topic and in-flight bound: the subscription stays, the rest is read per message. */
const sameSubscription = (a: TriggerView, b: TriggerView) =>
  a.type === b.type && a.topic === b.topic && a.maxInFlight === b.maxInFlight && a.uid === b.uid;
