import { describe, expect, it } from "@jest/globals";
import { paramsOf, parseBody, parseQuery } from "./body.js";

describe("body helpers", () => {
  it("parses by content type, honouring a text charset", () => {
    expect(parseBody("text/plain; charset=latin1", Buffer.from([0xe9]))).toBe("é");
    expect(parseBody("TEXT/HTML", Buffer.from("<b>"))).toBe("<b>");
    expect(parseBody(undefined, Buffer.alloc(0))).toEqual({});
    expect(parseBody(undefined, Buffer.from("x"))).toEqual(Buffer.from("x"));
    expect(parseBody("application/octet-stream", Buffer.alloc(0))).toEqual({});
    expect(() => parseBody("application/json", Buffer.from("{"))).toThrow("invalid JSON body");
  });

  it("reads the query and path parameters", () => {
    expect(parseQuery("")).toEqual({});
    expect({ ...parseQuery("a=1&a=2&b") }).toEqual({ a: ["1", "2"], b: "" });
    expect(paramsOf(["Host", "h", "x-fizz-params-id", "7", "X-Fission-Params-__proto__", "bad", "x-fizz-params-", "empty"])).toEqual({ id: "7" });
  });
});
