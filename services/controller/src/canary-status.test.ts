// CanaryConfig status belongs to the canary service: updates that carry none keep it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { CanaryConfigSchema, Kind, ResourceSchema, type CanaryConfig, type Resource } from "@fizz/proto";
import { startController, type Running } from "./__fixtures__/harness.js";

let c: Running;
beforeAll(async () => {
  c = await startController();
});
afterAll(() => c.stop());

const spec = { trigger: "r", oldfunction: "v1", newfunction: "v2", weightincrement: 20, duration: "30s", failurethreshold: 10 };
const wrap = (v: CanaryConfig): Resource => create(ResourceSchema, { kind: { case: "canaryConfig", value: v } });
const canaryOf = (r: Resource) => {
  if (r.kind.case !== "canaryConfig") throw new Error("not a canary config");
  return r.kind.value;
};

describe("CanaryConfig status", () => {
  it("is kept by an update without a status (a spec apply), replaced by one with a status, and is no spec change", async () => {
    const made = canaryOf(await c.client.create({ resource: wrap(create(CanaryConfigSchema, { metadata: { name: "pay" }, spec })) }));
    const withStatus = { ...made, status: { $typeName: "fizz.v1.CanaryConfigStatus" as const, status: "pending", history: [], lastStepTime: "2024-01-01T00:00:00.000Z" } };
    const written = canaryOf(await c.client.update({ resource: wrap(withStatus) }));
    expect(written.status?.status).toBe("pending");
    expect(written.metadata?.generation).toBe(made.metadata?.generation);

    // The spec as a spec file has it: no status, no resourceVersion.
    const applied = canaryOf(await c.client.update({ resource: wrap(create(CanaryConfigSchema, { metadata: { name: "pay" }, spec: { ...spec, weightincrement: 50 } })) }));
    expect(applied.spec?.weightincrement).toBe(50);
    expect(applied.status).toMatchObject({ status: "pending", lastStepTime: "2024-01-01T00:00:00.000Z" });
    expect(applied.metadata?.generation).toBe((made.metadata?.generation ?? 0n) + 1n);
    const got = canaryOf(await c.client.get({ kind: Kind.CANARY_CONFIG, name: "pay" }));
    expect(got.status?.lastStepTime).toBe("2024-01-01T00:00:00.000Z");
  });
});
