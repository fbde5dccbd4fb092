// `fizz recorder`, `records` and `replay`: the built CLI against a real controller and a real
// gRPC RecorderService (in this process) that keeps records in memory and "replays" by rule.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { RecordSchema, RecorderService, type Record as Rec } from "@fizz/proto";
import { FizzError, silentLogger } from "@fizz/common";
import { bind, startRpcServer, type RpcServer } from "@fizz/rpc";
import { Controller } from "@fizz/controller";
import { runCli } from "../../__fixtures__/run.js";
import { functionPath } from "./local.js";
import { parseDuration } from "./common.js";

const dir = mkdtempSync(join(tmpdir(), "fizz-cli-rec-"));
let controller: Controller;
let rpc: RpcServer;
let env: NodeJS.ProcessEnv;
const now = Date.now();
const rec = (id: string, status: number, agoMs: number, extra: Partial<Rec> = {}) =>
  create(RecordSchema, {
    requestId: id,
    function: "checkout",
    namespace: "default",
    trigger: "route-a",
    recorder: "rec1",
    timestampMs: BigInt(now - agoMs),
    method: "POST",
    url: "/checkout?cart=7",
    requestHeaders: { "content-type": "application/json", authorization: "[redacted]" },
    requestBody: Buffer.from('{"items":3}'),
    status,
    responseHeaders: { "content-type": "application/json" },
    responseBody: Buffer.from('{"total":3}'),
    durationMs: 12.5,
    traceId: "0af7651916cd43dd8448eb211c80319c",
    retentionSeconds: 3600n,
    ...extra,
  });
const records = [rec("r-new", 200, 1000), rec("r-err", 503, 60_000), rec("r-old", 200, 3 * 3600_000)];

beforeAll(async () => {
  controller = new Controller({ address: "127.0.0.1:0", stateDir: dir, historySize: 100 });
  await controller.start();
  rpc = await startRpcServer(
    "127.0.0.1:0",
    [
      bind(RecorderService, {
        storeBatch: async () => ({}),
        listRecords: async (q) => ({
          records: records.filter(
            (r) =>
              (!q.function || r.function === q.function) &&
              r.timestampMs >= q.sinceMs &&
              (!q.status || (q.status.endsWith("xx") ? String(r.status)[0] === q.status[0] : String(r.status) === q.status)),
          ),
        }),
        getRecord: async (q) => {
          const r = records.find((x) => x.requestId === q.requestId);
          if (!r) throw new FizzError("NOT_FOUND", `no record ${q.requestId}`);
          return r;
        },
        deleteRecords: async () => ({}),
        // checkout-v2 answers 4 where v1 answered 3, unless "total" is ignored.
        replay: async (q) => {
          const original = records.find((x) => x.requestId === q.requestId)!;
          const differs = q.toFunction === "checkout-v2" && !q.ignoreFields.includes("total");
          return {
            original,
            status: original.status,
            headers: { "content-type": "application/json" },
            body: Buffer.from(differs ? '{"total":4}' : '{"total":3}'),
            durationMs: 3,
            same: !differs,
            differences: differs ? ["body.total: 3 → 4"] : [],
          };
        },
      }),
    ],
    silentLogger,
  );
  env = { FIZZ_ADMIN: controller.address!, FIZZ_RECORDER: rpc.address };
});

afterAll(async () => {
  await rpc?.stop();
  await controller?.stop();
});

const fizz = (...args: string[]) => runCli(args, env, dir);
async function ok(...args: string[]): Promise<string> {
  const r = await fizz(...args);
  if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe("fizz recorder", () => {
  it("creates, lists, shows, updates and deletes a recorder", async () => {
    writeFileSync(join(dir, "h.js"), "module.exports = async () => ({ status: 200, body: 'x' });");
    await ok("env", "create", "--name", "nodejs", "--image", "nodejs");
    await ok("fn", "create", "--name", "checkout", "--env", "nodejs", "--code", "h.js");
    const out = await ok("recorder", "create", "--name", "rec1", "--function", "checkout", "--sample", "0.1", "--retention", "72h", "--redact", "X-Api-Key");
    expect(out).toMatch(/^recorder 'rec1' created: function checkout, sample 0.1, kept 72h\n$/);
    expect(await ok("recorder", "list")).toMatch(/^NAME\s+FUNCTION\s+TRIGGERS\s+ENABLED.*\nrec1\s+checkout\s+-\s+yes\s+0.1\s+72h\s+65536\s+x-api-key\s/);
    const doc = JSON.parse(await ok("recorder", "get", "--name", "rec1", "-o", "json"));
    expect(doc).toMatchObject({ apiVersion: "fizz.dev/v1", kind: "Recorder", metadata: { name: "rec1" }, spec: { function: "checkout", sampleRate: 0.1, enabled: true } });
    await ok("recorder", "update", "--name", "rec1", "--disable", "--max-body", "100");
    expect(JSON.parse(await ok("recorder", "get", "--name", "rec1", "-o", "json")).spec).toMatchObject({ maxBodyBytes: 100 });
    expect(await ok("recorder", "get", "--name", "rec1")).toMatch(/\nrec1\s+checkout\s+-\s+no\s+0.1\s+72h\s+100\s/);
    const bad = await fizz("recorder", "create", "--name", "rec2", "--sample", "2", "--function", "checkout");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/between 0/);
    expect(await ok("recorder", "delete", "--name", "rec1")).toBe("recorder 'rec1' deleted\n");
    expect(JSON.parse(await ok("recorder", "list", "-o", "json"))).toEqual([]);
  });
});

describe("fizz records", () => {
  it("lists with filters, newest first, as a table or JSON", async () => {
    const table = await ok("records", "list", "--function", "checkout", "--since", "1h");
    expect(table).toMatch(/^REQUEST ID\s+TIME\s+FUNCTION\s+TRIGGER\s+METHOD\s+URL\s+STATUS\s+DURATION\n/);
    expect(table).toContain("r-new");
    expect(table).toContain("r-err");
    expect(table).not.toContain("r-old");
    const five = JSON.parse(await ok("records", "list", "--function", "checkout", "--status", "5xx", "-o", "json"));
    expect(five.map((r: { requestId: string }) => r.requestId)).toEqual(["r-err"]);
  });

  it("views one record: request, response, timing, trace id", async () => {
    const out = await ok("records", "view", "r-new");
    expect(out).toContain("POST /checkout?cart=7");
    expect(out).toContain("authorization: [redacted]");
    expect(out).toContain('{"items":3}');
    expect(out).toContain("Status: 200");
    expect(out).toContain('{"total":3}');
    expect(out).toContain("12.50 ms");
    expect(out).toContain("0af7651916cd43dd8448eb211c80319c");
    const missing = await fizz("records", "view", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no record nope/);
  });

  it("says clearly when the recorder cannot be reached", async () => {
    const r = await runCli(["records", "list"], { ...env, FIZZ_RECORDER: "127.0.0.1:1" }, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fizz: cannot reach the recorder at 127.0.0.1:1/);
  });
});

describe("fizz replay", () => {
  it("replays one request: exit 0 when the same, 1 with the differences otherwise", async () => {
    const same = await fizz("replay", "r-new");
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^replayed r-new to checkout: same\nstatus: 200 \(recorded 200\)/);
    const diff = await fizz("replay", "r-new", "--to", "checkout-v2");
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain("different");
    expect(diff.stdout).toContain("body.total: 3 → 4");
    expect((await fizz("replay", "r-new", "--to", "checkout-v2", "--ignore", "total")).code).toBe(0);
  });

  it("regression run: N same / M different, exit 1 when any differ", async () => {
    const bad = await fizz("replay", "--function", "checkout", "--since", "24h", "--to", "checkout-v2");
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^0 same \/ 3 different/);
    expect(bad.stdout).toContain("body.total: 3 → 4");
    const good = await fizz("replay", "--function", "checkout", "--since", "2h");
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^2 same \/ 0 different/);
  });

  it("--local runs the recorded request in a fresh runtime with a local copy of the function", async () => {
    const file = join(dir, "handler.js");
    writeFileSync(
      file,
      `module.exports = async (context) => ({ status: 201, headers: { "x-local": "1" }, body: JSON.stringify({ got: context.request.body, url: context.request.url }) });`,
    );
    const out = await ok("replay", "r-new", "--local", file);
    expect(out).toMatch(/^local run of .*handler\.js: POST \/checkout\?cart=7\nstatus: 201 \(recorded 200\)/);
    expect(out).toContain("x-local: 1");
    expect(out).toMatch(/"got":\{"items":3\}|"got":"\{\\"items\\":3\}"/);
    expect(out).toContain('"url":"/checkout?cart=7"');
  });
});

describe("helpers", () => {
  it("parses durations and finds the path the function saw", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("7d")).toBe(7 * 86_400_000);
    expect(() => parseDuration("soon")).toThrow(/not a duration/);
    expect(functionPath(rec("a", 200, 0, { url: "/fizz-function/checkout/a/b?x=1" }))).toBe("/a/b?x=1");
    expect(functionPath(rec("a", 200, 0, { url: "/fizz-function/default/checkout" }))).toBe("/");
    expect(functionPath(rec("a", 200, 0, { url: "/shop/x" }))).toBe("/shop/x");
  });
});
