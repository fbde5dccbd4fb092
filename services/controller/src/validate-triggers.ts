// Shape checks for the event-source kinds (TimeTrigger, MessageQueueTrigger) and CanaryConfig.
// Like HTTP triggers, they may name a function that does not exist yet: invoking it then fails
// with the function's 404, as in Fission.
import type { CanaryConfig, MessageQueueTrigger, TimeTrigger } from "@fizz/proto";
import { parseDurationSeconds } from "@fizz/common";
import { parseCron } from "@fizz/cron";
import { HTTP_METHODS } from "./routes.js";
import { checkNamed, validateFunctionRef, type Fail } from "./validate-common.js";

export const MQ_TYPES = ["nats", "kafka"] as const;
export const TIME_TRIGGER_DEFAULTS = { method: "POST", subpath: "/" } as const;
export const MQT_DEFAULTS = { contentType: "application/json", maxInFlight: 10 } as const;
export const CANARY_DEFAULTS = { duration: "2m", failureType: "status-code" } as const;

export function validateTimeTrigger(t: TimeTrigger, fail: Fail): void {
  const s = t.spec;
  if (!s) throw fail("spec is required (spec.cron and spec.functionref)");
  s.cron = s.cron.trim();
  if (!s.cron) throw fail('spec.cron is required (e.g. "0 3 * * *" or "@every 5s")');
  try {
    parseCron(s.cron);
  } catch (err) {
    throw fail(`spec.${(err as Error).message}`);
  }
  validateFunctionRef(s.functionref, fail, false);
  s.method = s.method.trim().toUpperCase() || TIME_TRIGGER_DEFAULTS.method;
  if (!(HTTP_METHODS as readonly string[]).includes(s.method)) throw fail(`spec.method "${s.method}" is not one of ${HTTP_METHODS.join(", ")}`);
  s.subpath = s.subpath.trim() || TIME_TRIGGER_DEFAULTS.subpath;
  if (!s.subpath.startsWith("/")) s.subpath = `/${s.subpath}`;
  if (/[\s#]/.test(s.subpath)) throw fail(`spec.subpath "${s.subpath}" must not contain spaces or "#"`);
}

export function validateMessageQueueTrigger(t: MessageQueueTrigger, fail: Fail): void {
  const s = t.spec;
  if (!s) throw fail("spec is required (spec.messageQueueType, spec.topic and spec.functionref)");
  validateFunctionRef(s.functionref, fail, false);
  s.messageQueueType = s.messageQueueType.trim().toLowerCase();
  if (!(MQ_TYPES as readonly string[]).includes(s.messageQueueType))
    throw fail(`spec.messageQueueType "${s.messageQueueType}" is not supported: use ${MQ_TYPES.join(" or ")}`);
  for (const [field, topic] of [["topic", s.topic], ["respTopic", s.respTopic], ["errorTopic", s.errorTopic]] as const)
    if (/[\s*>]/.test(topic)) throw fail(`spec.${field} "${topic}" must not contain spaces or wildcards`);
  if (!s.topic) throw fail("spec.topic is required (the topic to consume)");
  if (s.respTopic === s.topic || s.errorTopic === s.topic)
    throw fail(`spec.respTopic and spec.errorTopic must differ from spec.topic "${s.topic}", or every answer would be consumed again`);
  if (s.maxRetries < 0) throw fail(`spec.maxRetries must be 0 or more, got ${s.maxRetries}`);
  s.contentType = s.contentType.trim() || MQT_DEFAULTS.contentType;
  if (s.maxInFlight === undefined) s.maxInFlight = MQT_DEFAULTS.maxInFlight;
  if (s.maxInFlight < 1) throw fail(`spec.maxInFlight must be 1 or more, got ${s.maxInFlight}`);
}

export function validateCanaryConfig(c: CanaryConfig, fail: Fail): void {
  const s = c.spec;
  if (!s) throw fail("spec is required (spec.trigger, spec.newfunction, spec.oldfunction)");
  checkNamed(s.trigger, "spec.trigger", fail);
  checkNamed(s.newfunction, "spec.newfunction", fail);
  checkNamed(s.oldfunction, "spec.oldfunction", fail);
  if (s.newfunction === s.oldfunction) throw fail("spec.newfunction and spec.oldfunction must differ");
  if (!(s.weightincrement > 0 && s.weightincrement <= 100))
    throw fail(`spec.weightincrement must be between 1 and 100, got ${s.weightincrement}`);
  if (!(s.failurethreshold >= 0 && s.failurethreshold <= 100))
    throw fail(`spec.failurethreshold must be between 0 and 100, got ${s.failurethreshold}`);
  s.duration = s.duration.trim().toLowerCase() || CANARY_DEFAULTS.duration;
  if (!parseDurationSeconds(s.duration)) throw fail(`spec.duration "${s.duration}" must be a positive duration such as "30s" or "2m"`);
  s.failureType = s.failureType || CANARY_DEFAULTS.failureType;
  if (s.failureType !== CANARY_DEFAULTS.failureType) throw fail(`spec.failureType "${s.failureType}" is not supported: use "status-code"`);
}
