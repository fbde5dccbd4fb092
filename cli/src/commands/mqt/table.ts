// How message queue triggers look (shared by the mqt verbs), and the status the mqtrigger
// service reports for them.
import type { TriggerStatus } from "@fizz/mqtrigger";
import type { MessageQueueTrigger } from "@fizz/proto";
import { serviceAddress } from "@fizz/common/ports";
import { InvalidArgumentError, type Command } from "commander";
import { intArg } from "../../flags.js";
import { age, formatTable, type TableSpec } from "../../output.js";

export const MQ_TYPES = ["nats", "kafka"];

/** --mqtype: nats or kafka. */
export function mqTypeArg(v: string): string {
  const t = v.trim().toLowerCase();
  if (!MQ_TYPES.includes(t)) throw new InvalidArgumentError(`expected ${MQ_TYPES.join(" or ")}, got "${v}"`);
  return t;
}

/** Flags create and update share. */
export interface SpecFlags {
  resptopic?: string;
  errortopic?: string;
  maxretries?: number;
  contenttype?: string;
  maxinflight?: number;
}

export function specOptions(cmd: Command): Command {
  return cmd
    .option("--resptopic <topic>", 'where the function\'s answers are published ("" for nowhere)')
    .option("--errortopic <topic>", 'where a message goes, with the error, after its retries failed ("" for nowhere)')
    .option("--maxretries <n>", "retries after the first failed attempt (default 0)", intArg)
    .option("--contenttype <type>", "Content-Type the function gets (default application/json)")
    .option("--maxinflight <n>", "messages handled at once (default 10)", intArg);
}

export const MQT_TABLE: TableSpec<MessageQueueTrigger> = {
  headers: ["NAME", "FUNCTION", "TYPE", "TOPIC", "RESP TOPIC", "ERROR TOPIC", "MAX RETRIES", "IN FLIGHT", "AGE"],
  row: (t) => {
    const s = t.spec;
    return [
      t.metadata?.name ?? "",
      s?.functionref?.name ?? "",
      s?.messageQueueType ?? "",
      s?.topic ?? "",
      s?.respTopic || "-",
      s?.errorTopic || "-",
      String(s?.maxRetries ?? 0),
      String(s?.maxInFlight ?? 10),
      age(t.metadata?.creationTimestamp),
    ];
  },
};

export const describeMqt = (t: MessageQueueTrigger) => {
  const s = t.spec;
  return `${s?.messageQueueType} topic ${s?.topic} → function ${s?.functionref?.name}${s?.respTopic ? `, answers to ${s.respTopic}` : ""}${s?.errorTopic ? `, errors to ${s.errorTopic} after ${s.maxRetries} retries` : ""}`;
};

// The mqtrigger service's /triggers answer (types only: no service code is loaded).
type LiveStatus = TriggerStatus;

/** The mqtrigger service's view of the trigger ($FIZZ_MQTRIGGER), or a line saying why there is none. */
export async function liveStatus(namespace: string, name: string): Promise<string> {
  const address = serviceAddress("mqtrigger");
  let all: LiveStatus[];
  try {
    const res = await fetch(`http://${address}/triggers`, { signal: AbortSignal.timeout(2000) });
    all = (await res.json()) as LiveStatus[];
  } catch (err) {
    return `status: mqtrigger at ${address} not reachable (${(err as Error).message}); set FIZZ_MQTRIGGER`;
  }
  const s = all.find((t) => t.namespace === namespace && t.name === name);
  if (!s) return `status: not (yet) known to the mqtrigger at ${address}`;
  return formatTable(
    ["SUBSCRIBED", "IN FLIGHT", "HANDLED", "FAILED", "RETRIES", "LAST ERROR"],
    [[s.subscribed ? "yes" : `no${s.reason ? ` (${s.reason})` : ""}`, String(s.inFlight), String(s.handled), String(s.failed), String(s.retries), s.lastError ? `${s.lastErrorAt} ${s.lastError}` : "-"]],
  );
}
