// Validation of TimeTrigger, MessageQueueTrigger and CanaryConfig, through the real API.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { expectFizz, startController, type ResourceInit, type Running } from "./__fixtures__/harness.js";

let c: Running;
beforeAll(async () => {
  c = await startController();
});
afterAll(() => c.stop());

const ref = { type: "name", name: "report" };
const timer = (name: string, spec: Record<string, unknown> = {}): ResourceInit => ({
  kind: { case: "timeTrigger", value: { metadata: { name }, spec: { cron: "@every 5s", functionref: ref, ...spec } } },
});
const mqt = (name: string, spec: Record<string, unknown> = {}): ResourceInit => ({
  kind: { case: "messageQueueTrigger", value: { metadata: { name }, spec: { messageQueueType: "nats", topic: "orders", functionref: ref, ...spec } } },
});
const canary = (name: string, spec: Record<string, unknown> = {}): ResourceInit => ({
  kind: {
    case: "canaryConfig",
    value: { metadata: { name }, spec: { trigger: "r", newfunction: "v2", oldfunction: "v1", weightincrement: 20, failurethreshold: 10, ...spec } },
  },
});

const invalidCases: Array<[string, ResourceInit, string | RegExp]> = [
  ["a timer needs a cron", timer("t1", { cron: " " }), 'timetrigger "t1": spec.cron is required'],
  ["a timer needs a function", timer("t2", { functionref: undefined }), "spec.functionref is required"],
  ["timers call one function by name", timer("t3", { functionref: { type: "function-weights", functionweights: { a: 100 } } }), 'spec.functionref.type "function-weights" is not supported: use "name"'],
  ["timer methods are HTTP methods", timer("t4", { method: "BREW" }), 'spec.method "BREW" is not one of'],
  ["a timer's cron must parse", timer("t5", { cron: "0 3 * * FUNDAY" }), 'timetrigger "t5": spec.cron "0 3 * * FUNDAY": day-of-week field "FUNDAY": "FUNDAY" is not a number or a name (SUN-SAT)'],
  ["a timer's @every is a duration", timer("t6", { cron: "@every soon" }), 'spec.cron "@every soon": "soon" is not a duration'],
  ["an mq trigger needs a known queue type", mqt("m1", { messageQueueType: "rabbit" }), 'spec.messageQueueType "rabbit" is not supported: use nats or kafka'],
  ["an mq trigger needs a topic", mqt("m2", { topic: "" }), "spec.topic is required"],
  ["topics have no wildcards", mqt("m3", { topic: "orders.>" }), 'spec.topic "orders.>" must not contain spaces or wildcards'],
  ["the response topic is not the input topic", mqt("m4", { respTopic: "orders" }), "must differ from spec.topic"],
  ["maxRetries is not negative", mqt("m5", { maxRetries: -1 }), "spec.maxRetries must be 0 or more, got -1"],
  ["maxInFlight is at least 1", mqt("m6", { maxInFlight: 0 }), "spec.maxInFlight must be 1 or more, got 0"],
  ["a canary names its trigger", canary("c1", { trigger: "" }), /spec.trigger "" is not a valid DNS-1123 name|spec.trigger/],
  ["a canary has two different functions", canary("c2", { newfunction: "v1" }), "must differ"],
  ["the weight step is 1..100", canary("c3", { weightincrement: 0 }), "spec.weightincrement must be between 1 and 100, got 0"],
  ["the failure threshold is 0..100", canary("c4", { failurethreshold: 150 }), "spec.failurethreshold must be between 0 and 100, got 150"],
  ["the step interval is a duration", canary("c5", { duration: "soon" }), 'spec.duration "soon" must be a positive duration'],
  ["only status-code failures", canary("c6", { failureType: "latency" }), 'spec.failureType "latency" is not supported'],
];

describe("trigger and canary validation", () => {
  it.each(invalidCases)("%s", async (_rule, resource, message) => {
    await expectFizz(c.client.create({ resource }), "INVALID_ARGUMENT", message);
  });

  it("fills in Fission's defaults: timers POST to /, mq triggers take JSON, canaries step every 2m", async () => {
    const t = await c.client.create({ resource: timer("nightly", { cron: "0 3 * * *", subpath: "jobs" }) });
    expect(t.kind.case === "timeTrigger" && t.kind.value.spec).toMatchObject({ method: "POST", subpath: "/jobs", functionref: { type: "name" } });
    const m = await c.client.create({ resource: mqt("orders", { messageQueueType: "NATS", respTopic: "orders.done" }) });
    expect(m.kind.case === "messageQueueTrigger" && m.kind.value.spec).toMatchObject({
      messageQueueType: "nats",
      contentType: "application/json",
      maxInFlight: 10,
      maxRetries: 0,
    });
    const k = await c.client.create({ resource: canary("pay") });
    expect(k.kind.case === "canaryConfig" && k.kind.value.spec).toMatchObject({ duration: "2m", failureType: "status-code" });
  });
});
