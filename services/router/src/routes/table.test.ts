import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { FunctionSchema, HTTPTriggerSchema, type HTTPTriggerSpec } from "@fizz/proto";
import { RouteTable, normalizeHost } from "./table.js";

type TriggerSpec = Partial<Omit<HTTPTriggerSpec, "$typeName" | "functionref">> & {
  functionref?: { type?: string; name?: string; functionweights?: Record<string, number> };
};

const fn = (name: string, namespace = "default", extra: Record<string, unknown> = {}) =>
  create(FunctionSchema, { metadata: { name, namespace, resourceVersion: "7" }, spec: { ...extra } });
const trig = (name: string, spec: TriggerSpec, namespace = "default") =>
  create(HTTPTriggerSchema, { metadata: { name, namespace }, spec: { functionref: { type: "name", name: "hello" }, ...spec } });

const functions = [fn("hello"), fn("other"), fn("a"), fn("b"), fn("hello", "team"), fn("x", "team")];

function table(...triggers: ReturnType<typeof trig>[]) {
  return RouteTable.build(triggers, functions);
}

describe("RouteTable", () => {
  it("matches exact paths and forwards them unchanged", () => {
    const t = table(trig("t1", { relativeurl: "/hello" }));
    const m = t.match("GET", "/hello", undefined);
    expect(m?.slot.fn?.key).toBe("default/hello");
    expect(m?.path).toBe("/hello");
    expect(m?.params).toBeUndefined();
    expect(t.match("GET", "/hello/x", undefined)).toBeUndefined();
    expect(t.match("GET", "/hell", undefined)).toBeUndefined();
  });

  it("captures {param} segments, decoded, with optional regex", () => {
    const t = table(
      trig("p", { relativeurl: "/users/{id}/posts/{post}" }),
      trig("r", { relativeurl: "/n/{num:[0-9]+}", functionref: { name: "other" } }),
    );
    const m = t.match("GET", "/users/42/posts/a%20b", undefined);
    expect(m?.params).toEqual(["id", "42", "post", "a b"]);
    expect(m?.path).toBe("/users/42/posts/a%20b");
    expect(t.match("GET", "/users/42/posts", undefined)).toBeUndefined();
    expect(t.match("GET", "/users//posts/1", undefined)).toBeUndefined();
    expect(t.match("GET", "/n/123", undefined)?.params).toEqual(["num", "123"]);
    expect(t.match("GET", "/n/abc", undefined)).toBeUndefined();
  });

  it("routes prefixes at segment boundaries, stripping the prefix unless keepPrefix", () => {
    const t = table(
      trig("strip", { prefix: "/api/" }),
      trig("keep", { prefix: "/keep", keepPrefix: true, functionref: { name: "other" } }),
    );
    expect(t.match("GET", "/api", undefined)?.path).toBe("/");
    expect(t.match("GET", "/api/", undefined)?.path).toBe("/");
    expect(t.match("GET", "/api/v1/items", undefined)?.path).toBe("/v1/items");
    expect(t.match("GET", "/apis", undefined)).toBeUndefined();
    const k = t.match("POST", "/keep/a/b", undefined);
    expect(k?.slot.name).toBe("other");
    expect(k?.path).toBe("/keep/a/b");
  });

  it("a root prefix catches everything not matched otherwise", () => {
    const t = table(trig("root", { prefix: "/" }), trig("e", { relativeurl: "/x", functionref: { name: "other" } }));
    expect(t.match("GET", "/x", undefined)?.slot.name).toBe("other");
    expect(t.match("GET", "/y/z", undefined)?.path).toBe("/y/z");
  });

  it("filters by methods, the deprecated method, or none (= all)", () => {
    const t = table(
      trig("m", { relativeurl: "/m", methods: ["get", "POST"] }),
      trig("old", { relativeurl: "/old", method: "PUT" }),
      trig("any", { relativeurl: "/any" }),
      trig("both", { relativeurl: "/both", method: "PUT", methods: ["DELETE"] }),
    );
    expect(t.match("GET", "/m", undefined)).toBeDefined();
    expect(t.match("POST", "/m", undefined)).toBeDefined();
    expect(t.match("DELETE", "/m", undefined)).toBeUndefined();
    expect(t.match("PUT", "/old", undefined)).toBeDefined();
    expect(t.match("GET", "/old", undefined)).toBeUndefined();
    expect(t.match("PATCH", "/any", undefined)).toBeDefined();
    expect(t.match("DELETE", "/both", undefined)).toBeDefined();
    expect(t.match("PUT", "/both", undefined)).toBeUndefined();
  });

  it("same path, different methods go to different functions", () => {
    const t = table(trig("g", { relativeurl: "/r", methods: ["GET"] }), trig("p", { relativeurl: "/r", methods: ["POST"], functionref: { name: "other" } }));
    expect(t.match("GET", "/r", undefined)?.slot.name).toBe("hello");
    expect(t.match("POST", "/r", undefined)?.slot.name).toBe("other");
  });

  it("matches host without port, case-insensitively; host routes win over host-less", () => {
    const t = table(trig("any", { relativeurl: "/h" }), trig("host", { relativeurl: "/h", host: "Example.com", functionref: { name: "other" } }));
    expect(t.match("GET", "/h", "example.com:8080")?.slot.name).toBe("other");
    expect(t.match("GET", "/h", "EXAMPLE.COM")?.slot.name).toBe("other");
    expect(t.match("GET", "/h", "other.org")?.slot.name).toBe("hello");
    expect(t.match("GET", "/h", undefined)?.slot.name).toBe("hello");
    const only = table(trig("host", { relativeurl: "/h", host: "example.com" }));
    expect(only.match("GET", "/h", "nope.com")).toBeUndefined();
    expect(normalizeHost("[::1]:80")).toBe("[::1]");
  });

  it("prefers exact over parameterized over prefix, longest prefix first", () => {
    const t = table(
      trig("pre", { prefix: "/u" }),
      trig("pre2", { prefix: "/u/deep", functionref: { name: "b" } }),
      trig("param", { relativeurl: "/u/{id}", functionref: { name: "other" } }),
      trig("exact", { relativeurl: "/u/me", functionref: { name: "a" } }),
      trig("p2", { relativeurl: "/u/{a}/{b}", functionref: { name: "other" } }),
      trig("p1", { relativeurl: "/u/fixed/{b}", functionref: { name: "a" } }),
    );
    expect(t.match("GET", "/u/me", undefined)?.slot.name).toBe("a");
    expect(t.match("GET", "/u/42", undefined)?.slot.name).toBe("other");
    expect(t.match("GET", "/u/fixed/1", undefined)?.slot.name).toBe("a");
    expect(t.match("GET", "/u/x/1", undefined)?.slot.name).toBe("other");
    expect(t.match("GET", "/u/deep/er/still", undefined)?.slot.name).toBe("b");
    expect(t.match("GET", "/u/1/2/3", undefined)?.slot.name).toBe("hello");
  });

  it("keeps routes to missing functions so the request gets a clear 404", () => {
    const t = table(trig("m", { relativeurl: "/ghost", functionref: { name: "ghost" } }));
    const m = t.match("GET", "/ghost", undefined);
    expect(m?.slot.name).toBe("ghost");
    expect(m?.slot.fn).toBeUndefined();
  });

  it("resolves functions in the trigger's namespace", () => {
    const t = table(trig("t", { relativeurl: "/ns" }, "team"));
    expect(t.match("GET", "/ns", undefined)?.slot.fn?.key).toBe("team/hello");
  });

  it("serves /fizz-function/<name> and /fizz-function/<namespace>/<name> with the rest of the path", () => {
    const t = table();
    const a = t.match("POST", "/fizz-function/hello", undefined);
    expect(a?.slot.fn?.key).toBe("default/hello");
    expect(a?.path).toBe("/");
    expect(t.match("GET", "/fizz-function/hello/a/b", undefined)?.path).toBe("/a/b");
    const n = t.match("GET", "/fizz-function/team/x/rest", undefined);
    expect(n?.slot.fn?.key).toBe("team/x");
    expect(n?.path).toBe("/rest");
    // "team/nope" is not a function: read as default function "team" (missing → 404 later).
    const d = t.match("GET", "/fizz-function/team/nope", undefined);
    expect(d?.slot.name).toBe("team");
    expect(d?.slot.fn).toBeUndefined();
    expect(t.match("GET", "/fission-function/other", undefined)?.slot.fn?.key).toBe("default/other");
    expect(t.match("GET", "/fizz-function/", undefined)).toBeUndefined();
    expect(t.match("GET", "/fizz-functions/x", undefined)).toBeUndefined();
  });

  it("fills Fission defaults into the function info", () => {
    const t = RouteTable.build([], [fn("slow", "default", { functionTimeout: 2, requestsPerPod: 3 }), fn("plain")]);
    expect(t.functions.get("default/slow")?.spec.functionTimeoutMs).toBe(2000);
    expect(t.functions.get("default/slow")?.spec.requestsPerPod).toBe(3);
    expect(t.functions.get("default/plain")?.spec.functionTimeoutMs).toBe(60_000);
    expect(t.functions.get("default/plain")?.ref).toEqual({ name: "plain", namespace: "default" });
  });

  it("splits traffic by function weights", () => {
    const t = table(trig("w", { relativeurl: "/w", functionref: { type: "function-weights", functionweights: { a: 80, b: 20, other: 0 } } }));
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const name = t.match("GET", "/w", undefined)!.slot.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts.other).toBeUndefined();
    expect(counts.a! / n).toBeGreaterThan(0.77);
    expect(counts.a! / n).toBeLessThan(0.83);
    expect(counts.b! / n).toBeGreaterThan(0.17);
  });

  it("weights apply to prefix routes with the same path handling", () => {
    const t = table(trig("w", { prefix: "/wp", functionref: { type: "function-weights", functionweights: { a: 1, b: 1 } } }));
    const m = t.match("GET", "/wp/z", undefined);
    expect(["a", "b"]).toContain(m?.slot.name);
    expect(m?.path).toBe("/z");
  });
});
