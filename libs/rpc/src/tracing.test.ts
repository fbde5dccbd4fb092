import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { AdminService } from "@fizz/proto";
import { notFound, silentLogger } from "@fizz/common";
import { startTracing, withSpan, type Tracing } from "@fizz/telemetry";
import { OtlpReceiver } from "@fizz/telemetry/receiver";
import { bind, createClient, startRpcServer, type RpcServer } from "./index.js";

// gRPC calls carry the caller's trace context; the server continues it in a span per call.
const receiver = new OtlpReceiver();
const saved = { ...process.env };
let server: RpcServer;
let tracing: Tracing;

beforeAll(async () => {
  const url = await receiver.start();
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "20" });
  tracing = await startTracing("rpc-test", silentLogger);
  server = await startRpcServer(
    "127.0.0.1:0",
    [
      bind(AdminService, {
        // The handler's own span must join the call's server span.
        get: (req) => withSpan("handler work", async () => {
          if (req.name === "missing") throw notFound(`function "missing" not found`);
          return {};
        }),
        list: async () => ({ items: [], resourceVersion: "1" }),
        create: async () => ({}),
        update: async () => ({}),
        delete: async () => ({}),
        watch: async function* () {},
      }),
    ],
    silentLogger,
  );
});

afterAll(async () => {
  await server.stop();
  await tracing.shutdown();
  process.env = saved;
  await receiver.stop();
});

describe("rpc tracing", () => {
  it("joins the caller's trace, marks failed calls, and starts no trace for calls without one", async () => {
    const c = createClient(AdminService, server.address);
    await c.list({}); // no active span: no server span either
    await withSpan("caller", async () => {
      await c.get({ name: "ok" });
      await expect(c.get({ name: "missing" })).rejects.toThrow(/not found/);
    });
    c.close();
    const spans = await receiver.waitFor((s) => (s.filter((x) => x.name === "handler work").length === 2 && s.some((x) => x.name === "caller") ? s : undefined), 10_000);
    const caller = spans.find((s) => s.name === "caller")!;
    const served = spans.filter((s) => s.name === "fizz.v1.AdminService/Get");
    expect(served).toHaveLength(2);
    for (const s of served) {
      expect(s).toMatchObject({ traceId: caller.traceId, parentSpanId: caller.spanId, kind: 2, service: "fizz-rpc-test" });
      expect(s.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.service": "fizz.v1.AdminService", "rpc.method": "Get" });
      const work = spans.find((x) => x.name === "handler work" && x.parentSpanId === s.spanId);
      expect(work).toBeDefined();
    }
    expect(served.map((s) => s.status).sort()).toEqual([0, 2]);
    expect(spans.some((s) => s.name.endsWith("/List"))).toBe(false);
  });
});
