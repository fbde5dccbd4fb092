// `fizz canary`: the built CLI against a real controller (in this process, on an ephemeral port).
// The rollout itself is the canary service's (services/canary tests, e2e/src/canary.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Controller } from "@fizz/controller";
import { CanaryConfigStatusSchema, CanaryStepSchema, HTTPTriggerSchema, Kind } from "@fizz/proto";
import { adminClient, wrap, type AdminClient } from "@fizz/clients";
import { cliRunner, runCli } from "../../__fixtures__/run.js";

const dir = mkdtempSync(join(tmpdir(), "fizz-cli-canary-"));
let controller: Controller;
let admin: AdminClient;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  controller = new Controller({ address: "127.0.0.1:0", stateDir: dir, historySize: 100 });
  await controller.start();
  env = { FIZZ_ADMIN: controller.address! };
  admin = adminClient(controller.address!);
  await admin.create({ resource: wrap(create(HTTPTriggerSchema, { metadata: { name: "r" }, spec: { relativeurl: "/pay", functionref: { type: "function-weights", functionweights: { "pay-v1": 60, "pay-v2": 40 } } } })) });
});

afterAll(async () => {
  admin?.close();
  await controller?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const { fizz, ok, json, failsWith } = cliRunner(() => env);
const CREATE = ["canary", "create", "--name", "pay", "--httptrigger", "r", "--newfunction", "pay-v2", "--oldfunction", "pay-v1"];

describe("fizz canary", () => {
  it("creates a canary with the issue's flags", async () => {
    const out = await ok(...CREATE, "--increment-step", "20", "--increment-interval", "30s", "--failure-threshold", "10");
    expect(out).toBe("canary 'pay' created: 20% of HTTPTrigger 'r' moves from 'pay-v1' to 'pay-v2' every 30s while failures stay at or below 10%\n");
    expect(await json("canary", "get", "--name", "pay")).toMatchObject({
      kind: "CanaryConfig",
      metadata: { name: "pay", namespace: "default" },
      spec: { trigger: "r", newfunction: "pay-v2", oldfunction: "pay-v1", weightincrement: 20, duration: "30s", failurethreshold: 10, failureType: "status-code" },
    });
  });

  it("defaults like Fission (20 points every 2m, 10%)", async () => {
    await ok("canary-config", "create", "--name", "dflt", "--httptrigger", "r", "--newfunction", "b", "--oldfunction", "a");
    expect((await json("canary", "get", "--name", "dflt")).spec).toMatchObject({ weightincrement: 20, duration: "2m", failurethreshold: 10 });
    await ok("canary", "delete", "--name", "dflt");
  });

  it("gets status, the trigger's weights now and the history; lists", async () => {
    // What the canary service would have recorded.
    const r = await admin.get({ kind: Kind.CANARY_CONFIG, name: "pay" });
    if (r.kind.case !== "canaryConfig") throw new Error("not a canary");
    r.kind.value.status = create(CanaryConfigStatusSchema, {
      status: "pending",
      lastStepTime: "2024-05-01T10:00:30.123Z",
      history: [
        create(CanaryStepSchema, { time: "2024-05-01T10:00:00.000Z", action: "start", newWeight: 0, message: '"pay-v1" 100%, "pay-v2" 0%' }),
        create(CanaryStepSchema, { time: "2024-05-01T10:00:30.123Z", action: "advance", newWeight: 40, requests: 120n, failures: 3n, failurePercent: 2.5, message: "failure rate 2.5% is within the threshold of 10%" }),
      ],
    });
    await admin.update({ resource: r });
    const out = await ok("canary", "get", "--name", "pay");
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+TRIGGER\s+OLD\s+NEW\s+STEP\s+INTERVAL\s+THRESHOLD\s+STATUS\s+WEIGHT\s+AGE$/);
    expect(lines[1]).toMatch(/^pay\s+r\s+pay-v1\s+pay-v2\s+20%\s+30s\s+10%\s+pending\s+40%\s+\d+s$/);
    expect(lines[2]).toBe("Weights now: pay-v1:60,pay-v2:40");
    expect(lines[4]).toMatch(/^TIME \(UTC\)\s+ACTION\s+NEW WEIGHT\s+REQUESTS\s+FAILURES\s+FAILURE %\s+NOTE$/);
    expect(lines[5]).toMatch(/^2024-05-01T10:00:00Z\s+start\s+0%\s+0\s+0\s+0%\s+"pay-v1" 100%, "pay-v2" 0%$/);
    expect(lines[6]).toMatch(/^2024-05-01T10:00:30Z\s+advance\s+40%\s+120\s+3\s+2.5%\s+failure rate 2.5% is within the threshold of 10%$/);
    expect(await ok("canary", "list")).toMatch(/\npay\s+r\s+pay-v1\s+pay-v2\s+20%\s+30s\s+10%\s+pending\s+40%\s+\d+s\n$/);
  });

  it("updates the step, interval and threshold, keeping the status", async () => {
    expect(await ok("canary", "update", "--name", "pay", "--increment-step", "50", "--increment-interval", "1m", "--failure-threshold", "5")).toBe("canary 'pay' updated\n");
    const c = await json("canary", "get", "--name", "pay");
    expect(c.spec).toMatchObject({ weightincrement: 50, duration: "1m", failurethreshold: 5 });
    expect(c.status.history).toHaveLength(2);
  });

  it("aborts a pending canary by annotation (the service records it), and refuses twice", async () => {
    expect(await ok("canary", "abort", "--name", "pay")).toMatch(/^canary 'pay' aborting/);
    expect((await json("canary", "get", "--name", "pay")).metadata.annotations).toEqual({ "fizz.dev/canary-abort": "true" });
    const r = await admin.get({ kind: Kind.CANARY_CONFIG, name: "pay" });
    if (r.kind.case !== "canaryConfig") throw new Error("not a canary");
    r.kind.value.status!.status = "aborted";
    await admin.update({ resource: r });
    await failsWith(["canary", "abort", "--name", "pay"], /^fizz: canary 'pay' has already been aborted$/);
  });

  it("writes a spec file with --spec instead of creating", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "fizz-cli-canary-spec-"));
    try {
      expect((await runCli(["spec", "init"], env, cwd)).code).toBe(0);
      const r = await runCli([...CREATE.map((a) => (a === "pay" ? "spec-pay" : a)), "--spec"], env, cwd);
      expect(r.code).toBe(0);
      expect((await fizz("canary", "get", "--name", "spec-pay")).code).not.toBe(0);
      const doc = readFileSync(join(cwd, "specs", "canary-spec-pay.yaml"), "utf8");
      expect(doc).toMatch(/kind: CanaryConfig/);
      expect(doc).toMatch(/trigger: r\n/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("deletes", async () => {
    expect(await ok("canary", "delete", "--name", "pay")).toBe("canary 'pay' deleted\n");
    await failsWith(["canary", "get", "--name", "pay"], /^fizz: .*pay.*not found/i);
  });

  it("reports bad input in one line and creates nothing", async () => {
    await failsWith([...CREATE, "--increment-step", "0"], /spec\.weightincrement must be between 1 and 100, got 0/);
    const notNumber = await fizz(...CREATE, "--increment-step", "x");
    expect(notNumber.code).not.toBe(0);
    expect(notNumber.stderr).toMatch(/--increment-step <percent>' argument 'x' is invalid. expected a whole number/);
    await failsWith([...CREATE, "--failure-threshold", "101"], /spec\.failurethreshold must be between 0 and 100, got 101/);
    await failsWith([...CREATE, "--increment-interval", "soon"], /spec\.duration "soon" must be a positive duration/);
    await failsWith(["canary", "create", "--name", "same", "--httptrigger", "r", "--newfunction", "a", "--oldfunction", "a"], /spec\.newfunction and spec\.oldfunction must differ/);
    const missing = await fizz("canary", "create", "--name", "x", "--httptrigger", "r", "--newfunction", "a");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/required option '--oldfunction <name>' not specified/);
    await failsWith(["canary", "update", "--name", "nobody", "--increment-step", "5"], /nobody/);
    expect(await json("canary", "list")).toEqual([]);
  });
});
