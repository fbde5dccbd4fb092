import { describe, expect, it } from "@jest/globals";
import { parseMetrics } from "@fizz/common";
import { countsOf } from "./router-scrape.js";

describe("countsOf", () => {
  it("sums one function's requests over methods and classes; failures are the 5xx class", () => {
    const samples = parseMetrics(
      [
        'fizz_router_requests_total{namespace="default",function="v2",method="GET",code_class="2xx"} 10',
        'fizz_router_requests_total{namespace="default",function="v2",method="POST",code_class="4xx"} 2',
        'fizz_router_requests_total{namespace="default",function="v2",method="GET",code_class="5xx"} 3',
        'fizz_router_requests_total{namespace="default",function="v2",method="POST",code_class="5xx"} 1',
        'fizz_router_requests_total{namespace="other",function="v2",method="GET",code_class="5xx"} 100',
        'fizz_router_requests_total{namespace="default",function="v1",method="GET",code_class="2xx"} 100',
        'fizz_router_errors_total{namespace="default",function="v2",code="500"} 4',
      ].join("\n"),
    ).samples;
    expect(countsOf(samples, { namespace: "default", name: "v2" })).toEqual({ requests: 16, failures: 4 });
    expect(countsOf(samples, { namespace: "default", name: "nobody" })).toEqual({ requests: 0, failures: 0 });
  });
});
