// Canaries end to end: `fizz up` (canary service included, reading the router's /metrics — no
// Prometheus), functions and routes made with the CLI, traffic from the test.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, eventually, fizzOk, newStateDir, startPlatform, type Platform } from "./platform.js";

const stateDir = newStateDir();
let p: Platform;
let stopTraffic = false;
const traffic: Promise<void>[] = [];

beforeAll(async () => {
  p = await startPlatform({ stateDir });
  for (const [name, file] of [["pay-v1", "greet.js"], ["pay-v2", "greet-v2.js"], ["pay-bad", "throws.js"]] as const)
    await fizzOk(p, ["fn", "create", "--name", name, "--env", "nodejs", "--code", join(FIXTURES, file)]);
}, 60_000);

afterAll(async () => {
  stopTraffic = true;
  await Promise.all(traffic);
  await p?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Requests to `path` back to back until the test ends. */
function drive(path: string): void {
  traffic.push(
    (async () => {
      while (!stopTraffic) await fetch(`${p.routerUrl}${path}`).then((r) => r.arrayBuffer()).catch(() => undefined);
    })(),
  );
}

async function finished(name: string): Promise<{ status: { status: string; history: Array<{ action: string; newWeight?: number }> } }> {
  return eventually(async () => {
    const c = JSON.parse(await fizzOk(p, ["canary", "get", "--name", name, "-o", "json"]));
    return ["succeeded", "failed"].includes(c.status?.status) ? c : undefined;
  }, 60_000, 250);
}

describe("canary", () => {
  it("moves a healthy version to 100% and rolls a failing one back, shown by fizz canary get", async () => {
    expect(p.output()).toMatch(/starting canary… ok \(\d+ ms\) 127\.0\.0\.1:\d+/);
    await fizzOk(p, ["route", "create", "--name", "pay", "--url", "/pay", "--function", "pay-v1"]);
    await fizzOk(p, ["route", "create", "--name", "bad", "--url", "/bad", "--function", "pay-v1"]);
    drive("/pay");
    drive("/bad");
    const common = ["--oldfunction", "pay-v1", "--increment-step", "50", "--increment-interval", "2s", "--failure-threshold", "10"];
    await fizzOk(p, ["canary", "create", "--name", "pay", "--httptrigger", "pay", "--newfunction", "pay-v2", ...common]);
    await fizzOk(p, ["canary", "create", "--name", "bad", "--httptrigger", "bad", "--newfunction", "pay-bad", ...common]);

    const ok = await finished("pay");
    expect(ok.status.status).toBe("succeeded");
    expect(ok.status.history.map((h) => `${h.action}:${h.newWeight ?? 0}`)).toEqual(["start:0", "advance:50", "succeeded:100"]);
    const shown = await fizzOk(p, ["canary", "get", "--name", "pay"]);
    expect(shown).toMatch(/\npay\s+pay\s+pay-v1\s+pay-v2\s+50%\s+2s\s+10%\s+succeeded\s+100%\s/);
    expect(shown).toMatch(/\nWeights now: pay-v1:0,pay-v2:100\n/);
    expect(shown).toMatch(/\n\S+Z\s+succeeded\s+100%\s+[1-9]\d*\s+0\s+0%\s+failure rate 0% is within the threshold of 10%; all traffic on the new function\n/);

    const bad = await finished("bad");
    expect(bad.status.status).toBe("failed");
    expect(bad.status.history.map((h) => `${h.action}:${h.newWeight ?? 0}`)).toEqual(["start:0", "advance:50", "rollback:0"]);
    expect(await fizzOk(p, ["canary", "get", "--name", "bad"])).toMatch(/\nWeights now: pay-bad:0,pay-v1:100\n/);
    expect(await fizzOk(p, ["canary", "list"])).toMatch(/\nbad\s+bad\s+pay-v1\s+pay-bad\s+50%\s+2s\s+10%\s+failed\s+0%\s/);
  }, 120_000);
});
