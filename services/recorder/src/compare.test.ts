import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { RecordSchema } from "@fizz/proto";
import { compareResponses, ignoredBy } from "./compare.js";
import { replayHeaders, replayPath } from "./replay.js";

const enc = (s: unknown) => new TextEncoder().encode(typeof s === "string" ? s : JSON.stringify(s));
const json = { "content-type": "application/json" };

describe("comparing responses", () => {
  it("compares JSON structurally, ignoring key order and whitespace", () => {
    const r = compareResponses({ status: 200, headers: json, body: enc('{"a": 1, "b": [1, 2]}') }, { status: 200, headers: json, body: enc({ b: [1, 2], a: 1 }) });
    expect(r).toEqual({ same: true, differences: [] });
  });

  it("lists status, header and body field differences", () => {
    const r = compareResponses(
      { status: 200, headers: { ...json, etag: "1" }, body: enc({ a: { b: 1 }, gone: true, list: [1] }) },
      { status: 500, headers: { ...json, etag: "2" }, body: enc({ a: { b: 2 }, list: [1, 2], extra: "x" }) },
      { compareHeaders: ["ETag"] },
    );
    expect(r.same).toBe(false);
    expect(r.differences).toEqual(["status: 200 → 500", "header etag: 1 → 2", "body.a.b: 1 → 2", 'body.extra: (missing) → "x"', "body.gone: true → (missing)", "body.list.1: (missing) → 2"]);
  });

  it("ignores fields by dotted path or by bare name at any depth", () => {
    const a = { timestamp: 1, data: { id: 1, timestamp: 5, items: [{ id: 1, timestamp: 7 }] } };
    const b = { timestamp: 2, data: { id: 2, timestamp: 6, items: [{ id: 3, timestamp: 8 }] } };
    const cmp = (ignoreFields: string[]) => compareResponses({ status: 200, headers: json, body: enc(a) }, { status: 200, headers: json, body: enc(b) }, { ignoreFields });
    expect(cmp(["timestamp", "data.id", "data.items.id"])).toEqual({ same: true, differences: [] });
    expect(cmp(["timestamp", "data.id"]).differences).toEqual(["body.data.items.0.id: 1 → 3"]);
    expect(ignoredBy(["data.id"])(["id"])).toBe(false);
  });

  it("compares other bodies byte for byte", () => {
    const text = { "content-type": "text/plain" };
    expect(compareResponses({ status: 200, headers: text, body: enc("abc") }, { status: 200, headers: text, body: enc("abc") }).same).toBe(true);
    expect(compareResponses({ status: 200, headers: text, body: enc("abc") }, { status: 200, headers: text, body: enc("abcd") }).differences).toEqual([
      "body differs (3 bytes vs 4 bytes)",
    ]);
  });

  it("compares only status and headers when the recorded body was truncated, and says so", () => {
    const r = compareResponses({ status: 200, headers: json, body: enc('{"a":'), bodyTruncated: true }, { status: 200, headers: json, body: enc({ a: 1 }) });
    expect(r).toEqual({ same: true, differences: ["body not compared: the recorded response body was truncated"] });
  });

  it("shows at most 20 differences", () => {
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${String(i).padStart(2, "0")}`, i]));
    const r = compareResponses({ status: 200, headers: json, body: enc(many) }, { status: 200, headers: json, body: enc({}) });
    expect(r.differences).toHaveLength(21);
    expect(r.differences[20]).toBe("... and 5 more differences");
  });
});

describe("what a replay sends", () => {
  const rec = (init: Record<string, unknown>) => create(RecordSchema, { requestId: "r1", function: "cart", namespace: "default", ...init });

  it("keeps the path after the internal route, else only the query", () => {
    expect(replayPath(rec({ url: "/fizz-function/cart/items/3?x=1" }), "cart-v2", "default")).toBe("/fizz-function/cart-v2/items/3?x=1");
    expect(replayPath(rec({ url: "/fission-function/cart" }), "cart", "default")).toBe("/fizz-function/cart");
    expect(replayPath(rec({ url: "/checkout/items?x=1", trigger: "checkout" }), "cart", "default")).toBe("/fizz-function/cart?x=1");
    expect(replayPath(rec({ url: "/fizz-function/shop/cart/a", namespace: "shop" }), "cart", "shop")).toBe("/fizz-function/shop/cart/a");
    expect(replayPath(rec({ url: "/fizz-function/cartoon/a" }), "cart", "default")).toBe("/fizz-function/cart");
  });

  it("drops hop-by-hop, host, length and redacted headers, and marks the replay", () => {
    const h = replayHeaders(rec({ requestHeaders: { Host: "a", Connection: "keep-alive", "content-length": "3", authorization: "[redacted]", "x-api": "k", "content-type": "text/plain" } }));
    expect(h).toEqual({ "x-api": "k", "content-type": "text/plain", "x-fizz-replay-of": "r1" });
  });
});
