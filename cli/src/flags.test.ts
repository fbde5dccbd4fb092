import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collect, intArg, normalizeMethods, pairWeights, parseHeader, parseHeaders, queryString, readBody, slashed } from "./flags.js";
import { routerError, testUrl } from "./commands/fn/test.js";
import { retarget } from "./commands/fn/update.js";
import { derivedName } from "./resources.js";

describe("headers", () => {
  it("splits at the first colon and trims", () => {
    expect(parseHeader("Content-Type: application/json")).toEqual(["Content-Type", "application/json"]);
    expect(parseHeader("X-Time:12:30")).toEqual(["X-Time", "12:30"]);
    expect(parseHeader("X-Empty:")).toEqual(["X-Empty", ""]);
  });

  it("rejects headers without a name", () => {
    expect(() => parseHeader("no colon")).toThrow(/Name: value/);
    expect(() => parseHeader(": v")).toThrow(/Name: value/);
    expect(() => parseHeader("Bad Name: v")).toThrow(/Name: value/);
  });

  it("joins repeated names like HTTP", () => {
    expect(parseHeaders(["Accept: a", "accept: b", "X: 1"])).toEqual({ accept: "a, b", x: "1" });
    expect(parseHeaders(undefined)).toEqual({});
  });
});

describe("weights", () => {
  it("a single function needs no weight", () => {
    expect(pairWeights(["a"], [])).toEqual({ type: "name", name: "a" });
  });

  it("pairs functions and weights by position", () => {
    expect(pairWeights(["a", "b"], [80, 20])).toEqual({ type: "function-weights", weights: { a: 80, b: 20 } });
    expect(pairWeights(["a"], [100])).toEqual({ type: "function-weights", weights: { a: 100 } });
  });

  it("explains mismatches", () => {
    expect(() => pairWeights([], [])).toThrow(/--function is required/);
    expect(() => pairWeights(["a", "b"], [100])).toThrow(/one --weight per --function \(got 2 functions and 1 weight\)/);
    expect(() => pairWeights(["a", "b"], [50, 40])).toThrow(/add up to 90/);
    expect(() => pairWeights(["a", "a"], [50, 50])).toThrow(/given twice/);
  });
});

describe("--body", () => {
  it("is the text itself, or a file's content after @", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fizz-cli-"));
    writeFileSync(join(dir, "b.json"), '{"x":1}');
    expect((await readBody("plain"))!.toString()).toBe("plain");
    expect((await readBody(`@${join(dir, "b.json")}`))!.toString()).toBe('{"x":1}');
    expect(await readBody(undefined)).toBeUndefined();
    await expect(readBody(`@${join(dir, "missing")}`)).rejects.toThrow(/cannot read .*missing: ENOENT/);
  });
});

describe("other flag values", () => {
  it("collects repeated flags", () => {
    expect(collect("b", collect("a", undefined))).toEqual(["a", "b"]);
  });

  it("parses whole numbers only", () => {
    expect(intArg("60")).toBe(60);
    expect(() => intArg("1.5")).toThrow(/whole number/);
    expect(() => intArg("-1")).toThrow(/whole number/);
  });

  it("normalizes methods, accepting commas", () => {
    expect(normalizeMethods(["get", "POST,put", "GET"])).toEqual(["GET", "POST", "PUT"]);
    expect(() => normalizeMethods(["FETCH"])).toThrow(/unknown HTTP method "FETCH"/);
  });

  it("builds the query string and the fn test URL", () => {
    expect(queryString(["a=b", "c=d e"])).toBe("?a=b&c=d+e");
    expect(queryString(undefined)).toBe("");
    expect(() => queryString(["novalue"])).toThrow(/name=value/);
    expect(testUrl("http://127.0.0.1:8888", "greet", "x/y", ["q=1"])).toBe("http://127.0.0.1:8888/fizz-function/greet/x/y?q=1");
    expect(testUrl("http://h:1", "greet")).toBe("http://h:1/fizz-function/greet");
    expect(slashed("hello")).toBe("/hello");
  });
});

describe("names", () => {
  it("derives valid names from long bases", () => {
    const n = derivedName("a".repeat(70), "xyz123");
    expect(n).toHaveLength(63);
    expect(n.endsWith("-xyz123")).toBe(true);
    expect(derivedName("greet")).toMatch(/^greet-[a-z0-9]{6}$/);
    expect(derivedName("ab-".repeat(20) + "c", "s")).not.toMatch(/--/);
  });

  it("moves the entry point to the new file when --code replaces it", () => {
    expect(retarget("greet", "greet-v2")).toBe("greet-v2");
    expect(retarget("greet.main", "other")).toBe("other.main");
    expect(retarget("", "other")).toBeUndefined();
    expect(retarget("greet", "greet")).toBeUndefined();
    expect(retarget("greet", undefined)).toBeUndefined();
  });
});

describe("fn test and the router's own errors", () => {
  const notBuilt = (status: string) =>
    Buffer.from(
      JSON.stringify({
        error: `function "f": package "f-abc123" is not built (buildstatus: ${status}); see its build log with: fizz pkg info --name f-abc123`,
        code: "FAILED_PRECONDITION",
        reason: "PACKAGE_NOT_BUILT",
      }),
    );

  it("prints the router's message for an unbuilt package", () => {
    const failed = routerError(503, { "content-type": "application/json" }, notBuilt("failed"), "f");
    expect(failed).toBe('function "f": package "f-abc123" is not built (buildstatus: failed); see its build log with: fizz pkg info --name f-abc123 (HTTP 503)');
    expect(routerError(503, {}, notBuilt("pending"), "f")).toMatch(/buildstatus: pending\).*fizz pkg info --name f-abc123.*the build has not finished yet/);
  });

  it("leaves the function's own answers alone", () => {
    expect(routerError(503, { "x-fizz-function-name": "f" }, notBuilt("failed"), "f")).toBeUndefined();
    expect(routerError(500, {}, Buffer.from("boom"), "f")).toBeUndefined();
    expect(routerError(200, {}, notBuilt("failed"), "f")).toBeUndefined();
    expect(routerError(404, {}, Buffer.from('{"error":"function \\"f\\" not found","code":"NOT_FOUND"}'), "f")).toBe(
      'function \'f\' could not be called: function "f" not found (HTTP 404 from the router)',
    );
  });
});
