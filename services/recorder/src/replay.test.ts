// Replay against a real platform: controller, executor (local runtime processes) and router,
// with literal deployment archives (no storage service needed), and the recorder over gRPC.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { FizzError, silentLogger } from "@fizz/common";
import { adminClient, wrap, type AdminClient } from "@fizz/clients";
import { EnvironmentSchema, FunctionSchema, PackageSchema, RecorderService, type Record as RecordMsg } from "@fizz/proto";
import { createClient, type Client } from "@fizz/rpc";
import { Controller, configSchema as controllerConfig } from "@fizz/controller";
import { Executor, configSchema as executorConfig } from "@fizz/executor";
import { Router, routerConfig } from "@fizz/router";
import { Recorder } from "./recorder.js";
import { configSchema } from "./config.js";
import { record } from "./store/__fixtures__/records.js";

// Deterministic answers, so a replay to the same version matches; ?text=1 answers plain text.
const code = (version: number) => `
module.exports = async (context) => {
  const req = context.request;
  if (req.query.text) return { status: 200, headers: { "content-type": "text/plain" }, body: "hello from v${version}" };
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version: ${version}, url: req.url, method: req.method, body: req.rawBody.toString(), auth: req.headers.authorization || null }),
  };
};`;

const dir = mkdtempSync(join(tmpdir(), "fizz-recorder-replay-"));
const meta = (name: string) => ({ name, namespace: "default" });
let controller: Controller;
let executor: Executor;
let router: Router;
let recorder: Recorder;
let admin: AdminClient;
let client: Client<(typeof RecorderService)["method"]>;

beforeAll(async () => {
  const env = { FIZZ_STATE_DIR: dir, FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STORAGE: "127.0.0.1:0", FIZZ_EXECUTOR: "127.0.0.1:0" };
  controller = new Controller(controllerConfig.parse(env), silentLogger);
  await controller.start();
  executor = new Executor(executorConfig.parse({ ...env, FIZZ_ADMIN: controller.address!, FIZZ_STORAGE: "127.0.0.1:1" }), silentLogger);
  await executor.start();
  admin = adminClient(controller.address!);
  await admin.create({ resource: wrap(create(EnvironmentSchema, { metadata: meta("nodejs"), spec: { runtime: { image: "nodejs" }, poolsize: 1 } })) });
  for (const v of [1, 2]) {
    await admin.create({
      resource: wrap(create(PackageSchema, { metadata: meta(`code-v${v}`), spec: { environment: meta("nodejs"), deployment: { type: "literal", literal: Buffer.from(code(v)) } } })),
    });
    await admin.create({ resource: wrap(create(FunctionSchema, { metadata: meta(`shop-v${v}`), spec: { environment: meta("nodejs"), package: { packageref: meta(`code-v${v}`) } } })) });
  }
  router = new Router(routerConfig({ FIZZ_STATE_DIR: dir, FIZZ_ROUTER: "127.0.0.1:0", FIZZ_ADMIN: controller.address!, FIZZ_EXECUTOR: executor.address! }), silentLogger);
  await router.start();
  recorder = new Recorder(configSchema.parse({ FIZZ_RECORDER: "127.0.0.1:0", FIZZ_ROUTER: router.url, FIZZ_STATE_DIR: dir }));
  await recorder.start();
  client = createClient(RecorderService, recorder.address!);
}, 60_000);

afterAll(async () => {
  client?.close();
  await recorder?.stop();
  await router?.stop();
  admin?.close();
  await executor?.stop();
  await controller?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** Calls shop-v1 through the router and stores the pair the way a router would record it. */
async function recordCall(path: string, init: { method?: string; body?: string } = {}): Promise<RecordMsg> {
  let res: Response | undefined;
  // The router may not have seen the functions yet right after start.
  for (let i = 0; i < 100; i++) {
    res = await fetch(`${router.url}${path}`, { method: init.method ?? "GET", body: init.body });
    if (res.status !== 404) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const r = record({
    function: "shop-v1",
    url: path,
    method: init.method ?? "GET",
    requestHeaders: { authorization: "[redacted]", "content-type": "text/plain", host: "shop.example.com", connection: "keep-alive" },
    requestBody: new TextEncoder().encode(init.body ?? ""),
    status: res!.status,
    responseHeaders: { "content-type": res!.headers.get("content-type") ?? "" },
    responseBody: new Uint8Array(await res!.arrayBuffer()),
  });
  await client.storeBatch({ records: [r] });
  return r;
}

describe("replay through a real router", () => {
  it("replays a request to the same function: same response, path and body kept, redacted header dropped", async () => {
    const r = await recordCall("/fizz-function/shop-v1/items/3?x=1", { method: "POST", body: "ping" });
    expect(JSON.parse(new TextDecoder().decode(r.responseBody))).toMatchObject({ version: 1, url: "/items/3?x=1", body: "ping", auth: null });
    const res = await client.replay({ requestId: r.requestId });
    expect(res.differences).toEqual([]);
    expect(res.same).toBe(true);
    expect(res.status).toBe(200);
    expect(res.original?.requestId).toBe(r.requestId);
    expect(res.durationMs).toBeGreaterThan(0);
  }, 30_000);

  it("replays to another version and lists what differs; ignore_fields hides it", async () => {
    const r = await recordCall("/fizz-function/shop-v1/items/3?x=1", { method: "POST", body: "ping" });
    const res = await client.replay({ requestId: r.requestId, toFunction: "shop-v2" });
    expect(res.same).toBe(false);
    expect(res.differences).toEqual(["body.version: 1 → 2"]);
    expect(JSON.parse(new TextDecoder().decode(res.body))).toMatchObject({ version: 2, url: "/items/3?x=1" });
    const ignoring = await client.replay({ requestId: r.requestId, toFunction: "shop-v2", ignoreFields: ["version"] });
    expect(ignoring.same).toBe(true);
    expect(ignoring.differences).toEqual([]);
  }, 30_000);

  it("compares non-JSON bodies byte for byte", async () => {
    const r = await recordCall("/fizz-function/shop-v1?text=1");
    expect((await client.replay({ requestId: r.requestId })).same).toBe(true);
    const res = await client.replay({ requestId: r.requestId, toFunction: "shop-v2" });
    expect(res.same).toBe(false);
    expect(res.differences).toEqual(["body differs (13 bytes vs 13 bytes)"]);
  }, 30_000);

  it("says NOT_FOUND for an unknown or expired record", async () => {
    const err = await client.replay({ requestId: "no-such-request" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FizzError);
    expect((err as FizzError).code).toBe("NOT_FOUND");
    expect((err as FizzError).message).toBe("record no-such-request not found (it may have expired)");
  });
});
