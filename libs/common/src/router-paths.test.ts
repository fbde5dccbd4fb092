// The router's own paths: what it dispatches to its handlers, and what a trigger may not claim.
import { describe, expect, it } from "@jest/globals";
import { RESERVED_ROUTER_PATHS, isRouterControlPath, reservedRouterPath } from "./router-paths.js";

describe("router paths", () => {
  it("dispatches the router's own requests to its handlers, query strings included", () => {
    for (const url of ["/healthz", "/metrics", "/_fizz/routes", "/fizz-invocations", "/fizz-invocations?status=failed", "/fizz-invocations/abc"])
      expect([url, isRouterControlPath(url)]).toEqual([url, true]);
    for (const url of ["/", "/hello", "/metricsx", "/fizz-invocationsx", "/fizz-function/hello", "/api/healthz"])
      expect([url, isRouterControlPath(url)]).toEqual([url, false]);
  });

  it("names the reserved path or tree a route path falls on, and nothing for the rest", () => {
    expect(reservedRouterPath("/metrics")).toBe("/metrics");
    expect(reservedRouterPath("/healthz")).toBe("/healthz");
    expect(reservedRouterPath("/fizz-invocations")).toBe("/fizz-invocations/…");
    expect(reservedRouterPath("/fizz-invocations/{id}")).toBe("/fizz-invocations/…");
    expect(reservedRouterPath("/_fizz")).toBe("/_fizz/…");
    expect(reservedRouterPath("/fizz-function/hello")).toBe("/fizz-function/…");
    expect(reservedRouterPath("/fission-function/ns/hello")).toBe("/fission-function/…");
    for (const p of ["/", "/metrics/app", "/fizz-invocations-ui", "/fizz-functions", "/api/fizz-invocations"]) expect([p, reservedRouterPath(p)]).toEqual([p, undefined]);
    expect(RESERVED_ROUTER_PATHS).toEqual(["/healthz", "/metrics", "/_fizz/…", "/fizz-invocations/…", "/fizz-function/…", "/fission-function/…"]);
  });
});
