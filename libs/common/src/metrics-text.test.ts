import { describe, expect, it } from "@jest/globals";

const samples = (text: string) => parseMetrics(text).samples;
import { parseMetrics } from "./metrics-text.js";

describe("parseMetrics", () => {
  it("reads samples with and without labels, skipping HELP/TYPE/comments and blank lines", () => {
    const text = [
      "# HELP fizz_router_requests_total Requests the router answered.",
      "# TYPE fizz_router_requests_total counter",
      'fizz_router_requests_total{namespace="default",function="pay-v2",method="GET",code_class="2xx"} 12',
      'fizz_router_requests_total{namespace="default",function="pay-v2",method="GET",code_class="5xx"} 3 1717000000000',
      "",
      "process_start_time_seconds 1.7170e9",
      "# EOF",
    ].join("\n");
    expect(samples(text)).toEqual([
      { name: "fizz_router_requests_total", labels: { namespace: "default", function: "pay-v2", method: "GET", code_class: "2xx" }, value: 12 },
      { name: "fizz_router_requests_total", labels: { namespace: "default", function: "pay-v2", method: "GET", code_class: "5xx" }, value: 3 },
      { name: "process_start_time_seconds", labels: {}, value: 1.717e9 },
    ]);
  });

  it("unescapes label values and accepts spaces, a trailing comma, empty braces and special values", () => {
    const [a, b, c, d, e] = samples(
      ['m{path="a\\"b\\\\c\\nd", x = "1",} +Inf', "m{} -Inf", 'h_bucket{le="0.5"} NaN', "m:rate\t-1.5e-3", "lag Nan"].join("\n"),
    );
    expect(a).toEqual({ name: "m", labels: { path: 'a"b\\c\nd', x: "1" }, value: Infinity });
    expect(b?.value).toBe(-Infinity);
    expect(c?.value).toBeNaN();
    expect(d).toEqual({ name: "m:rate", labels: {}, value: -0.0015 });
    expect(e?.value).toBeNaN(); // prom-client's spelling
  });

  it.each([
    ["no value", "m", /expected a space before the value: m$/],
    ["a value that is no number", "m abc", /"abc" is not a number/],
    ["hex is not a sample value", "m 0x10", /"0x10" is not a number/],
    ["an unterminated label value", 'm{a="x} 1', /unterminated label value/],
    ["a label without quotes", "m{a=1} 1", /expected a quoted value for label a/],
    ["a bad escape", 'm{a="\\t"} 1', /bad escape/],
    ["a duplicate label", 'm{a="1",a="2"} 1', /label a given twice/],
    ["a missing comma", 'm{a="1" b="2"} 1', /expected "," or "}" after label a/],
    ["a bad name", '1m{a="1"} 1', /expected a metric name at column 1/],
    ["a bad timestamp", "m 1 soon", /optional integer timestamp/],
    ["too many fields", "m 1 2 3", /optional integer timestamp/],
  ])("rejects %s with the line number", (_what, line, re) => {
    expect(() => samples(`ok 1\n${line}`)).toThrow(Error);
    expect(() => samples(`ok 1\n${line}`)).toThrow(/^bad metrics line 2: /);
    expect(() => samples(`ok 1\n${line}`)).toThrow(re);
  });
});
