import { silentLogger } from "@fizz/common";
import { OtlpReceiver, spansOf } from "./receiver.js";
import { SpanKind, extract, inject, withClientSpan, withSpan } from "./spans.js";
import { TRACING, startTracing, traced, tracingRequested } from "./tracing.js";

describe("tracingRequested", () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://jaeger:4318/v1/traces" }, true],
    [{ OTEL_TRACES_EXPORTER: "console" }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318", OTEL_TRACES_EXPORTER: "none" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318", OTEL_SDK_DISABLED: "true" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318", OTEL_SDK_DISABLED: "false" }, true],
  ])("%j → %s", (env, want) => expect(tracingRequested(env)).toBe(want));
});

describe("tracing off", () => {
  it("starts nothing, and spans are plain calls", async () => {
    const t = await startTracing("test", silentLogger, {});
    expect(TRACING).toBe(false);
    await expect(withSpan("x", async () => 42)).resolves.toBe(42);
    const headers: Record<string, string> = {};
    inject(headers);
    await expect(withClientSpan("call", headers, async () => 7)).resolves.toBe(7);
    expect(headers).toEqual({});
    await t.shutdown();
  });
});

describe("receiver", () => {
  it("refuses what is not OTLP JSON on /v1/traces, with the reason", async () => {
    const r = new OtlpReceiver();
    const url = await r.start();
    try {
      expect((await fetch(`${url}/v1/metrics`, { method: "POST", body: "{}" })).status).toBe(404);
      const proto = await fetch(`${url}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: "x" });
      expect(proto.status).toBe(415);
      expect(await proto.text()).toContain("OTEL_EXPORTER_OTLP_PROTOCOL=http/json");
      const bad = await fetch(`${url}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' });
      expect(bad.status).toBe(400);
      expect(r.rejected).toHaveLength(3);
      expect(r.spans).toEqual([]);
      await expect(r.waitFor((s) => (s.length ? s : undefined), 100)).rejects.toThrow(/no matching spans within 100 ms/);
    } finally {
      await r.stop();
    }
  });

  it("flattens spans with their service and attributes", () => {
    const spans = spansOf({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "fizz-x" } }] },
          scopeSpans: [{ spans: [{ traceId: "t", spanId: "s", name: "n", kind: 2, attributes: [{ key: "n", value: { intValue: "3" } }] }] }],
        },
      ],
    });
    expect(spans).toEqual([{ traceId: "t", spanId: "s", parentSpanId: "", name: "n", kind: 2, service: "fizz-x", attributes: { n: 3 }, status: 0 }]);
  });
});

describe("tracing on", () => {
  const receiver = new OtlpReceiver();
  const saved = { ...process.env };
  let url = "";

  beforeAll(async () => {
    url = await receiver.start();
    // sdk-node reads its settings from process.env itself.
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "50" });
  });
  afterAll(async () => {
    process.env = saved;
    await receiver.stop();
  });

  it("exports nested spans as fizz-<service>, joins an incoming traceparent, marks failures, flushes on stop", async () => {
    let stopped = false;
    const svc = await traced("unit", { start: async () => undefined, stop: async () => void (stopped = true), address: "a:1" }, silentLogger);
    expect(TRACING).toBe(true);
    expect(svc.address).toBe("a:1");
    await svc.start();

    const remote = extract({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    const seen: Record<string, string> = {};
    await withSpan(
      "outer",
      () =>
        withSpan("inner", async () => {
          inject(seen);
        }),
      { "fizz.function": "f" },
      SpanKind.SERVER,
      remote,
    );
    const outgoing: Record<string, string> = { traceparent: "stale" };
    await expect(withClientSpan("call", outgoing, async () => outgoing.traceparent, undefined, remote)).resolves.not.toBe("stale");
    await expect(withSpan("broken", () => Promise.reject(Object.assign(new Error("nope"), { code: "NOT_FOUND" })))).rejects.toThrow("nope");
    await svc.stop();
    expect(stopped).toBe(true);
    expect(TRACING).toBe(false);

    // Flushed by stop: everything is there without waiting for another batch.
    const names = receiver.spans.map((s) => s.name).sort();
    expect(names).toEqual(["broken", "call", "inner", "outer"]);
    const by = (n: string) => receiver.spans.find((s) => s.name === n)!;
    expect(by("outer")).toMatchObject({
      service: "fizz-unit",
      traceId: "0af7651916cd43dd8448eb211c80319c",
      parentSpanId: "b7ad6b7169203331",
      kind: 2,
      attributes: { "fizz.function": "f" },
    });
    expect(by("inner")).toMatchObject({ traceId: by("outer").traceId, parentSpanId: by("outer").spanId });
    expect(seen.traceparent).toBe(`00-${by("inner").traceId}-${by("inner").spanId}-01`);
    // A client span: child of the given parent, and its context is what the callee receives.
    expect(by("call")).toMatchObject({ kind: 3, traceId: "0af7651916cd43dd8448eb211c80319c", parentSpanId: "b7ad6b7169203331" });
    expect(outgoing.traceparent).toBe(`00-${by("call").traceId}-${by("call").spanId}-01`);
    expect(by("broken")).toMatchObject({ status: 2, attributes: { "fizz.error.code": "NOT_FOUND" } });
    expect(receiver.rejected).toEqual([]);
  });
});
