// Record and replay, end to end: a Recorder on a function, requests through the router, the
// records found by the request id every response carries, replays against the same and a changed
// version, a regression run, retention and redaction.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { eventually, fizz, fizzOk, startPlatform, type Platform } from "./platform.js";

let p: Platform;
let env: NodeJS.ProcessEnv;

const run = (...args: string[]) => fizz(env, args);
const ok = async (...args: string[]) => {
  const r = await run(...args);
  if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
};

async function checkout(path: string, items: number[], headers: Record<string, string> = {}) {
  const res = await fetch(`${p.routerUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ items }),
  });
  const body = await res.text();
  return { status: res.status, body, id: res.headers.get("x-fizz-request-id") ?? "" };
}

/** Sends requests until one of them is recorded (the router picks the Recorder up from its watch). */
async function recorded(path: string, headers: Record<string, string> = {}): Promise<string> {
  return eventually(
    async () => {
      const r = await checkout(path, [1, 2, 3], headers);
      expect(r.status).toBe(200);
      const v = await eventually(async () => ((await run("records", "view", r.id)).code === 0 ? r.id : undefined), 1500, 100).catch(() => undefined);
      return v;
    },
    20_000,
    200,
  );
}

beforeAll(async () => {
  p = await startPlatform({ env: { FIZZ_ROUTER_RECORD_FLUSH_MS: "50" } });
  env = p.env;
  await fizzOk(p, ["fn", "create", "--name", "checkout", "--env", "nodejs", "--code", "recording/checkout.js", "--url", "/checkout", "--method", "POST"]);
  await fizzOk(p, ["fn", "create", "--name", "checkout-v2", "--env", "nodejs", "--code", "recording/checkout-v2.js"]);
  await ok("recorder", "create", "--name", "rec1", "--function", "checkout", "--retention", "1h");
}, 90_000);

afterAll(async () => {
  await p?.stop();
});

describe("record and replay", () => {
  let id: string;

  it("records a request, finds it by its request id, redacts Authorization", async () => {
    id = await recorded("/checkout", { authorization: "Bearer top-secret" });
    const list = await ok("records", "list", "--function", "checkout", "--since", "1h");
    expect(list).toMatch(/^REQUEST ID\s+TIME\s+FUNCTION/);
    expect(list).toContain(id);
    const view = await ok("records", "view", id);
    expect(view).toContain("POST /checkout");
    expect(view).toContain('{"items":[1,2,3]}');
    expect(view).toContain('{"total":3}');
    expect(view).toMatch(/authorization: \[redacted\]/);
    expect(view).not.toContain("top-secret");
    const doc = JSON.parse(await ok("records", "view", id, "-o", "json"));
    expect(doc).toMatchObject({ requestId: id, function: "checkout", status: 200, method: "POST" });
  }, 60_000);

  it("replays to the same version (same, exit 0) and to a changed one (different, exit 1)", async () => {
    const same = await run("replay", id);
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/: same\n/);
    const diff = await run("replay", id, "--to", "checkout-v2");
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/: different\n/);
    expect(diff.stdout).toMatch(/total/);
  }, 30_000);

  it("a regression run counts same and different and exits 1 when any differ", async () => {
    await checkout("/checkout", [1]);
    const bad = await eventually(async () => {
      const r = await run("replay", "--function", "checkout", "--since", "1h", "--to", "checkout-v2");
      return /^0 same \/ [2-9]\d* different/.test(r.stdout) ? r : undefined;
    }, 10_000, 200);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/total/);
    const good = await run("replay", "--function", "checkout", "--since", "1h");
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^\d+ same \/ 0 different/);
  }, 30_000);

  it("records expire after the recorder's retention", async () => {
    await ok("recorder", "create", "--name", "short", "--function", "checkout-v2", "--retention", "2s");
    const short = await recorded("/fizz-function/checkout-v2");
    await eventually(async () => {
      const r = await run("records", "view", short);
      return r.code === 1 && /not found|no record/i.test(r.stderr);
    }, 15_000, 500);
  }, 60_000);
});
