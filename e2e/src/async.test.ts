// Async invocation end to end: `fizz up`, a curl-style request with X-Fizz-Invoke-Mode: async,
// the status endpoint, `fizz fn invocations` / `fizz fn invocation`, and a restart of the platform.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, fizz, fizzOk, get, startPlatform, type Platform } from "./platform.js";

let p: Platform;
const ASYNC = { "X-Fizz-Invoke-Mode": "async" };
const ENV = { FIZZ_ROUTER_ASYNC_BACKOFF_MS: "100" };

interface View {
  invocationId: string;
  status: string;
  attempts: number;
  error?: string;
  result?: { statusCode: number; body: string };
  history: Array<{ interrupted?: boolean; statusCode?: number }>;
}

async function invoke(path: string): Promise<{ id: string; ms: number }> {
  const t0 = Date.now();
  const r = await get(`${p.routerUrl}${path}`, { headers: ASYNC });
  const ms = Date.now() - t0;
  expect(r.status).toBe(202);
  const body = JSON.parse(r.body) as { invocationId: string; statusUrl: string };
  expect(r.headers.get("location")).toBe(body.statusUrl);
  return { id: body.invocationId, ms };
}

const view = async (id: string) => JSON.parse((await get(`${p.routerUrl}/fizz-invocations/${id}`)).body) as View;
const done = (id: string, ms = 20_000) =>
  eventually(async () => {
    const v = await view(id);
    return v.status === "succeeded" || v.status === "failed" ? v : undefined;
  }, ms);

beforeAll(async () => {
  p = await startPlatform({ env: ENV });
  await fizzOk(p, ["fn", "create", "--name", "boom", "--env", "nodejs", "--code", "./throws.js", "--url", "/boom"]);
  // Answers only once the test creates the file it names, so "still running" is not a race.
  await fizzOk(p, ["fn", "create", "--name", "gate", "--env", "nodejs", "--code", "./gate.js", "--url", "/gate"]);
}, 60_000);

afterAll(async () => {
  await p?.stop();
});

describe("async invocation", () => {
  it("answers 202 at once, runs in the background, and shows in fn invocations", async () => {
    const gate = join(p.stateDir, "gate-1");
    const { id, ms } = await invoke(`/gate?file=${encodeURIComponent(gate)}`);
    expect(ms).toBeLessThan(1500);
    const listed = await fizzOk(p, ["fn", "invocations", "--name", "gate"]);
    expect(listed).toMatch(/^ID\s+FUNCTION\s+STATUS\s+ATTEMPTS\s+HTTP\s+AGE\s+REQUEST\s+ERROR/);
    expect(listed).toMatch(new RegExp(`${id}\\s+gate\\s+(queued|running)\\s`));
    writeFileSync(gate, "");

    const v = await done(id);
    expect(v).toMatchObject({ status: "succeeded", attempts: 1, result: { statusCode: 200, body: "opened\n" } });

    const shown = await fizzOk(p, ["fn", "invocation", "--id", id]);
    expect(shown).toContain("Status:       succeeded (HTTP 200), 1 attempt");
    expect(shown).toContain("Function:     default/gate");
    expect(shown).toContain("opened");
    expect(await fizzOk(p, ["fn", "invocations", "--id", id])).toBe(shown);

    const json = JSON.parse(await fizzOk(p, ["fn", "invocations", "--name", "gate", "-o", "json"])) as Array<{ invocationId: string; status: string }>;
    expect(json[0]).toMatchObject({ invocationId: id, status: "succeeded" });
    expect(await fizzOk(p, ["fn", "invocation", "--id", id, "-o", "yaml"])).toContain(`invocationId: ${id}`);
  });

  it("retries a failing function and ends failed after the attempts", async () => {
    const { id } = await invoke("/boom");
    const v = await done(id);
    expect(v.status).toBe("failed");
    expect(v.attempts).toBe(3);
    expect(v.history.map((a) => a.statusCode)).toEqual([500, 500, 500]);
    const listed = await fizzOk(p, ["fn", "invocations", "--name", "boom", "--status", "failed"]);
    expect(listed).toMatch(new RegExp(`${id}\\s+boom\\s+failed\\s+3\\s+500\\s`));
  });

  it("reports an unknown id, a bad flag and an unreachable router as one clear line", async () => {
    const unknown = await fizz(p, ["fn", "invocation", "--id", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('fizz: no async invocation "nope" (finished ones are kept for a limited time)\n');
    const bad = await fizz(p, ["fn", "invocations", "--status", "done"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^fizz: status must be one of queued, running, succeeded, failed, not "done"\n$/);
    const down = await fizz({ ...p.env, FIZZ_ROUTER: "127.0.0.1:1" }, ["fn", "invocations"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^fizz: cannot reach the router at http:\/\/127\.0\.0\.1:1 \(is the platform running\?/);
  });

  it("finishes an invocation that was running when the platform stopped, after fizz up starts again", async () => {
    const gate = join(p.stateDir, "gate-2");
    const { id } = await invoke(`/gate?file=${encodeURIComponent(gate)}`);
    await eventually(async () => (await view(id)).status === "running", 10_000);
    expect(await p.stop()).toBe(0);
    p = await startPlatform({ stateDir: p.stateDir, env: ENV });
    writeFileSync(gate, "");
    const v = await done(id, 30_000);
    expect(v).toMatchObject({ status: "succeeded", attempts: 1, result: { body: "opened\n" } });
    expect(v.history[0]).toMatchObject({ interrupted: true });
  }, 90_000);
});
