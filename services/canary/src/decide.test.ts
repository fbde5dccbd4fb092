import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { CanaryConfigSpecSchema, HTTPTriggerSchema } from "@fizz/proto";
import { decide } from "./decide.js";
import { splitOf } from "./trigger.js";

const base = { weight: 20, increment: 30, threshold: 10 };

describe("decide", () => {
  it("advances by the increment when the failure rate is within the threshold", () => {
    expect(decide({ ...base, observed: { requests: 100, failures: 10 } })).toMatchObject({ action: "advance", newWeight: 50, status: "pending", failurePercent: 10 });
    expect(decide({ ...base, observed: { requests: 3, failures: 0 } })).toMatchObject({ action: "advance", newWeight: 50, failurePercent: 0 });
  });

  it("rolls back to 0 and fails when the failure rate is above the threshold", () => {
    const d = decide({ ...base, observed: { requests: 100, failures: 11 } });
    expect(d).toMatchObject({ action: "rollback", newWeight: 0, status: "failed", failurePercent: 11 });
    expect(d.message).toBe("failure rate 11% is above the threshold of 10%");
    // Threshold 0: any failure rolls back.
    expect(decide({ ...base, threshold: 0, observed: { requests: 1000, failures: 1 } })).toMatchObject({ action: "rollback", failurePercent: 0.1 });
    expect(decide({ ...base, observed: { requests: 3, failures: 1 } }).message).toBe("failure rate 33.33% is above the threshold of 10%");
  });

  it("waits when no request reached the new function", () => {
    expect(decide({ ...base, observed: { requests: 0, failures: 0 } })).toMatchObject({ action: "wait", newWeight: 20, status: "pending" });
  });

  it("takes the first increment on trust at weight 0, where no traffic can be observed", () => {
    expect(decide({ ...base, weight: 0, observed: { requests: 0, failures: 0 } })).toMatchObject({ action: "advance", newWeight: 30, status: "pending" });
    // Traffic that reached it anyway (its own route) is judged.
    expect(decide({ ...base, weight: 0, observed: { requests: 10, failures: 5 } })).toMatchObject({ action: "rollback" });
  });

  it("succeeds on reaching 100, capping the last increment", () => {
    expect(decide({ ...base, weight: 80, observed: { requests: 10, failures: 0 } })).toMatchObject({ action: "succeeded", newWeight: 100, status: "succeeded" });
    expect(decide({ ...base, weight: 70, observed: { requests: 10, failures: 1 } })).toMatchObject({ action: "succeeded", newWeight: 100 });
  });

  it("never reports more failures than requests", () => {
    expect(decide({ ...base, threshold: 100, observed: { requests: 2, failures: 5 } })).toMatchObject({ action: "advance", failurePercent: 100 });
  });
});

describe("splitOf", () => {
  const spec = create(CanaryConfigSpecSchema, { trigger: "r", oldfunction: "v1", newfunction: "v2" });
  const trig = (functionref: Record<string, unknown>) => create(HTTPTriggerSchema, { metadata: { name: "r" }, spec: { relativeurl: "/pay", functionref } });

  it("accepts a route to the old function by name (weight 0, to be made weighted)", () => {
    expect(splitOf(trig({ type: "name", name: "v1" }), spec)).toEqual({ ok: true, weight: 0, weighted: false });
  });

  it("reads the new function's share of a split over the two functions", () => {
    expect(splitOf(trig({ type: "function-weights", functionweights: { v1: 80, v2: 20 } }), spec)).toEqual({ ok: true, weight: 20, weighted: true });
    expect(splitOf(trig({ type: "function-weights", functionweights: { v1: 3, v2: 1 } }), spec)).toEqual({ ok: true, weight: 25, weighted: true });
    expect(splitOf(trig({ type: "function-weights", functionweights: { v1: 100 } }), spec)).toEqual({ ok: true, weight: 0, weighted: true });
  });

  it("refuses anything else, saying why", () => {
    const a = splitOf(trig({ type: "function-weights", functionweights: { v1: 50, v2: 25, v3: 25 } }), spec);
    expect(a).toEqual({ ok: false, why: expect.stringMatching(/^HTTPTrigger "r" splits traffic between "v1", "v2", "v3": a canary needs it to route to "v1" by name, or split/) });
    expect(splitOf(trig({ type: "name", name: "other" }), spec)).toEqual({ ok: false, why: expect.stringMatching(/^HTTPTrigger "r" routes to "other"/) });
    expect(splitOf(trig({ type: "name", name: "v2" }), spec).ok).toBe(false);
  });
});
