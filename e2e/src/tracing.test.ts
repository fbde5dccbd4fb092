// Traces end to end: `fizz up` with the standard OTEL_* variables pointed at a small OTLP/HTTP
// receiver (OTLP JSON). One request must yield one connected trace: the router's server span →
// its executor lookup → the executor's GetServiceForFunction → specialization (take, fetch,
// unpack, /v2/specialize), and the router's invocation span whose context the function received.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { OtlpReceiver, type ReceivedSpan } from "@fizz/telemetry/receiver";
import { natsTestClient, startNatsServer, type NatsServer } from "@fizz/mqtrigger/testing/nats-server";
import { eventually, fizzOk, get, startPlatform, type Platform } from "./platform.js";

const receiver = new OtlpReceiver();
let p: Platform;
let nats: NatsServer;

beforeAll(async () => {
  const url = await receiver.start();
  nats = await startNatsServer();
  p = await startPlatform({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "100", FIZZ_NATS_URL: nats.url },
  });
  await fizzOk(p, ["fn", "create", "--name", "traced", "--env", "nodejs", "--code", "./traceparent.js", "--url", "/traced", "--method", "GET"]);
  await eventually(async () => (await get(`${p.routerUrl}/_fizz/routes`)).body.includes("/traced"), 10_000);
}, 60_000);

afterAll(async () => {
  await p?.stop();
  await receiver.stop();
  await nats?.stop();
});

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** GET /traced with a fresh client trace context until the executor knows the function too. */
async function call(withParent: boolean) {
  return eventually(async () => {
    const traceId = hex(16);
    const parentId = hex(8);
    const headers: Record<string, string> = withParent ? { traceparent: `00-${traceId}-${parentId}-01` } : {};
    const r = await get(`${p.routerUrl}/traced`, { headers });
    if (r.status !== 200) return undefined;
    const seen = JSON.parse(r.body) as { traceparent: string | null; header: string | null };
    return { traceId, parentId, seen };
  }, 15_000, 100);
}

const parts = (tp: string) => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(tp);
  if (!m) throw new Error(`not a W3C traceparent: ${tp}`);
  return { traceId: m[1]!, spanId: m[2]! };
};

const one = (spans: ReceivedSpan[], pred: (s: ReceivedSpan) => boolean) => spans.filter(pred)[0];

describe("OpenTelemetry traces", () => {
  it("follow a cold request from the client's traceparent through router, executor and the function", async () => {
    const { traceId, parentId, seen } = await call(true);
    expect(seen.traceparent).not.toBeNull();
    expect(seen.header).toBe(seen.traceparent);
    const fnCtx = parts(seen.traceparent!);
    // The client's trace continues: same trace id, the function's parent is a router span.
    expect(fnCtx.traceId).toBe(traceId);

    const names = ["take instance", "fetch archive", "unpack", "POST /v2/specialize"];
    const trace = await receiver.waitFor((all) => {
      const t = all.filter((s) => s.traceId === traceId);
      const have = (n: string) => t.some((s) => s.name === n);
      return t.some((s) => s.spanId === fnCtx.spanId) && have("executor lookup") && names.every(have) ? t : undefined;
    }, 20_000);

    const server = one(trace, (s) => s.service === "fizz-router" && s.kind === 2)!;
    expect(server.parentSpanId).toBe(parentId);
    expect(server.name).toMatch(/^GET /);
    expect(server.attributes).toMatchObject({ "fizz.function": "traced", "fizz.namespace": "default", "http.request.method": "GET", "http.response.status_code": 200 });

    const lookup = one(trace, (s) => s.name === "executor lookup")!;
    expect(lookup).toMatchObject({ service: "fizz-router", kind: 3, parentSpanId: server.spanId });
    const rpc = one(trace, (s) => s.name === "fizz.v1.ExecutorService/GetServiceForFunction")!;
    expect(rpc).toMatchObject({ service: "fizz-executor", kind: 2, parentSpanId: lookup.spanId });
    const specialize = one(trace, (s) => s.name === "specialize")!;
    expect(specialize).toMatchObject({ service: "fizz-executor", parentSpanId: rpc.spanId, attributes: { "fizz.function": "traced", "fizz.environment": "nodejs" } });
    for (const n of names) expect(one(trace, (s) => s.name === n)).toMatchObject({ service: "fizz-executor", parentSpanId: specialize.spanId, status: 0 });

    // The function got the router's invocation span as its parent.
    const invoke = one(trace, (s) => s.spanId === fnCtx.spanId)!;
    expect(invoke).toMatchObject({ service: "fizz-router", kind: 3, name: "invoke traced", parentSpanId: server.spanId, status: 0 });
    expect(trace.every((s) => s.status !== 2)).toBe(true);
    expect(receiver.rejected).toEqual([]);
  });

  it("start a trace at the router for a warm request without one, with no executor call", async () => {
    const { seen } = await call(false);
    const fnCtx = parts(seen.traceparent!);
    const trace = await receiver.waitFor((all) => {
      const t = all.filter((s) => s.traceId === fnCtx.traceId);
      return t.some((s) => s.kind === 2) && t.some((s) => s.spanId === fnCtx.spanId) ? t : undefined;
    }, 20_000);
    const server = one(trace, (s) => s.kind === 2)!;
    expect(server).toMatchObject({ service: "fizz-router", parentSpanId: "" });
    expect(one(trace, (s) => s.spanId === fnCtx.spanId)!.parentSpanId).toBe(server.spanId);
    expect(trace.map((s) => s.name)).not.toContain("executor lookup");
  });

  it("continue a timer's trace at the router: timer client span → router server span → function", async () => {
    await fizzOk(p, ["timer", "create", "--name", "traced-tick", "--function", "traced", "--cron", "@every 1s", "--method", "GET"]);
    try {
      const trace = await receiver.waitFor((all) => {
        const client = all.find((s) => s.service === "fizz-timer" && s.kind === 3);
        const server = client && all.find((s) => s.service === "fizz-router" && s.kind === 2 && s.parentSpanId === client.spanId);
        return server ? [client!, server] : undefined;
      }, 20_000);
      expect(trace[0]).toMatchObject({ traceId: trace[1]!.traceId, parentSpanId: "", attributes: { "fizz.attempt": 1 } });
      expect(trace[1]!.attributes).toMatchObject({ "fizz.function": "traced", "http.response.status_code": 200 });
    } finally {
      await fizzOk(p, ["timer", "delete", "--name", "traced-tick"]);
    }
  });

  it("continue a message's trace: its traceparent → mqtrigger client span → router server span", async () => {
    await fizzOk(p, ["mqt", "create", "--name", "traced-q", "--function", "traced", "--mqtype", "nats", "--topic", "traced-q"]);
    await eventually(async () => /SUBSCRIBED[\s\S]*\byes\b/.test(await fizzOk(p, ["mqt", "get", "--name", "traced-q"])), 20_000, 200);
    const q = await natsTestClient(nats.url);
    const traceId = hex(16);
    const parentId = hex(8);
    try {
      await q.publish("traced-q", "{}", { traceparent: `00-${traceId}-${parentId}-01` });
      const trace = await receiver.waitFor((all) => {
        const t = all.filter((s) => s.traceId === traceId);
        // Each service exports on its own schedule: wait for both spans.
        return t.some((s) => s.service === "fizz-router" && s.kind === 2) && t.some((s) => s.service === "fizz-mqtrigger") ? t : undefined;
      }, 20_000);
      const client = one(trace, (s) => s.service === "fizz-mqtrigger")!;
      expect(client).toMatchObject({ kind: 3, parentSpanId: parentId });
      expect(one(trace, (s) => s.service === "fizz-router" && s.kind === 2)!.parentSpanId).toBe(client.spanId);
    } finally {
      await q.close();
      await fizzOk(p, ["mqt", "delete", "--name", "traced-q"]);
    }
  });

  it("record a request that matches no route as a 404 span, with no invocation", async () => {
    const traceId = hex(16);
    const r = await get(`${p.routerUrl}/no-such-route`, { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    expect(r.status).toBe(404);
    const [span] = await receiver.waitFor((all) => {
      const t = all.filter((s) => s.traceId === traceId);
      return t.length ? t : undefined;
    }, 20_000);
    expect(span).toMatchObject({ service: "fizz-router", kind: 2, status: 0, attributes: { "http.response.status_code": 404 } });
    expect(span!.attributes["fizz.function"]).toBeUndefined();
  });
});
