// One test per validation rule, through the real API.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Kind } from "@fizz/proto";
import { env, expectFizz, fn, meta, pkg, route, startController, type ResourceInit, type Running } from "./__fixtures__/harness.js";

let c: Running;
beforeAll(async () => {
  c = await startController();
  await c.client.create({ resource: env("node") });
  await c.client.create({ resource: pkg("code") });
  await c.client.create({ resource: fn("hello") });
});
afterAll(() => c.stop());

const bytes = (s: string) => new TextEncoder().encode(s);
const recorder = (name: string, spec: Record<string, unknown> = {}): ResourceInit => ({
  kind: { case: "recorder", value: { metadata: { name }, spec: { function: "hello", enabled: true, ...spec } } },
});
const SHA = "a".repeat(64);

const invalidCases: Array<[string, ResourceInit, string | RegExp]> = [
  ["names must be DNS-1123", env("Bad_Name"), /environment name "Bad_Name" is not a valid DNS-1123 name/],
  ["names are at most 63 characters", env("a".repeat(64)), /longer than 63 characters/],
  ["namespaces must be DNS-1123", env("ok", {}, "Prod!"), /namespace "Prod!" is not a valid DNS-1123 name/],
  ["an environment needs a runtime image", env("noimg", { runtime: { image: "" } }), 'environment "noimg": spec.runtime.image is required'],
  ["poolsize is not negative", env("neg", { poolsize: -1 }), "spec.poolsize must be 0 or more, got -1"],
  ["environment version is 0..3", env("v9", { version: 9 }), "spec.version 9 is not supported"],
  ["a package needs an environment", pkg("p1", { environment: undefined }), 'package "p1": spec.environment.name is required'],
  ["a package needs code", pkg("p2", { deployment: undefined }), "spec.deployment or spec.source is required"],
  ["archive types are literal or url", pkg("p3", { deployment: { type: "git", url: "x" } }), 'spec.deployment.type "git" is not supported'],
  ["a url archive needs a url", pkg("p4", { deployment: { type: "url" } }), 'spec.deployment.url is required for an archive of type "url"'],
  ["a literal archive needs content", pkg("p5", { source: { type: "literal" }, deployment: undefined }), "spec.source is a literal archive with no content"],
  ["an archive is literal or url, not both", pkg("p5b", { deployment: { literal: bytes("x"), url: "storage://a" } }), "has both literal content and a url"],
  ["checksums are sha256", pkg("p6", { deployment: { url: "storage://a", checksum: { type: "md5", sum: SHA } } }), 'checksum.type "md5" is not supported'],
  ["checksum sums are 64 hex digits", pkg("p7", { deployment: { url: "storage://a", checksum: { type: "sha256", sum: "abc" } } }), "checksum.sum must be 64 hexadecimal"],
  [
    "buildstatus is a known state",
    { kind: { case: "package", value: { ...(pkg("p8").kind!.value as object), status: { buildstatus: "done" } } } } as ResourceInit,
    'status.buildstatus "done" is not one of pending, running, succeeded, failed, none',
  ],
  ["a function needs an environment", fn("f1", { environment: { name: "" } }), 'function "f1": spec.environment.name is required'],
  ["a function needs a package", fn("f2", { package: {} }), "spec.package.packageref.name is required"],
  ["references stay in the namespace", fn("f3", { environment: { name: "node", namespace: "other" } }), 'spec.environment must be in the same namespace ("default"), not "other"'],
  ["executor type is poolmgr or newdeploy", fn("f4", { invokeStrategy: { executionStrategy: { executorType: "lambda" } } }), 'executorType "lambda" is not one of poolmgr, newdeploy'],
  ["functionTimeout is not negative", fn("f5", { functionTimeout: -1 }), "spec.functionTimeout must be 0 or more"],
  ["idletimeout is not negative", fn("f6", { idletimeout: -5 }), "spec.idletimeout must be 0 or more"],
  ["concurrency is not negative", fn("f7", { concurrency: -2 }), "spec.concurrency must be 0 or more"],
  ["requestsPerPod is not negative", fn("f8", { requestsPerPod: -1 }), "spec.requestsPerPod must be 0 or more"],
  ["maxScale is at least minScale", fn("f9", { invokeStrategy: { executionStrategy: { minScale: 3, maxScale: 1 } } }), "maxScale (1) is less than minScale (3)"],
  ["a trigger needs a path", route("t1", { relativeurl: "" }), "spec.relativeurl or spec.prefix is required"],
  ["a trigger has a url or a prefix, not both", route("t2", { prefix: "/api" }), "give either spec.relativeurl or spec.prefix, not both"],
  ["paths start with /", route("t3", { relativeurl: "hello" }), 'spec.relativeurl "hello" must start with "/"'],
  ["prefixes start with /", route("t3b", { relativeurl: "", prefix: "api" }), 'spec.prefix "api" must start with "/"'],
  ["parameters are whole {name} segments", route("t4", { relativeurl: "/users/{id" }), 'segment "{id" is not a parameter'],
  ["parameter names are identifiers", route("t5", { relativeurl: "/users/{}" }), 'segment "{}" is not a parameter'],
  ["parameters are not repeated", route("t6", { relativeurl: "/a/{id}/b/{id}" }), "parameter {id} appears twice"],
  ["/metrics is the router's", route("r-m", { relativeurl: "/metrics" }), 'spec.relativeurl "/metrics" is reserved by the router (/metrics); pick another path (reserved: /healthz, /metrics, /_fizz/…'],
  ["/healthz is the router's", route("r-h", { relativeurl: "/healthz" }), 'spec.relativeurl "/healthz" is reserved by the router (/healthz)'],
  ["/fizz-invocations is the router's", route("r-i", { relativeurl: "/fizz-invocations" }), 'spec.relativeurl "/fizz-invocations" is reserved by the router (/fizz-invocations/…)'],
  ["so is everything under it", route("r-i2", { relativeurl: "/fizz-invocations/{id}" }), 'spec.relativeurl "/fizz-invocations/{id}" is reserved by the router (/fizz-invocations/…)'],
  ["a prefix on a reserved tree", route("r-p", { relativeurl: "", prefix: "/fizz-invocations" }), 'spec.prefix "/fizz-invocations" is reserved by the router'],
  ["/_fizz/ is the router's", route("r-d", { relativeurl: "/_fizz/routes" }), 'spec.relativeurl "/_fizz/routes" is reserved by the router (/_fizz/…)'],
  ["internal function routes are the router's", route("r-f", { relativeurl: "/fizz-function/hello" }), 'spec.relativeurl "/fizz-function/hello" is reserved by the router (/fizz-function/…)'],
  ["Fission's internal routes too", route("r-f2", { relativeurl: "", prefix: "/fission-function/x" }), "(/fission-function/…)"],
  ["methods are HTTP methods", route("t7", { methods: ["GET", "FETCH"] }), 'method "FETCH" is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'],
  ["the deprecated method is checked too", route("t7b", { methods: [], method: "BREW" }), 'method "BREW" is not one of'],
  ["a trigger needs a function reference", route("t8", { functionref: undefined }), "spec.functionref is required"],
  ["a name reference needs a name", route("t9", { functionref: { type: "name" } }), "spec.functionref.name is required"],
  ["reference types are name or function-weights", route("t10", { functionref: { type: "random", name: "x" } }), 'spec.functionref.type "random" is not supported'],
  ["weights need at least one function", route("t11", { functionref: { type: "function-weights" } }), "needs at least one function"],
  ["weights are 0..100", route("t12", { functionref: { type: "function-weights", functionweights: { a: 120, b: -20 } } }), /weight (120|-20) of function/],
  ["weights add up to 100", route("t13", { functionref: { type: "function-weights", functionweights: { a: 50, b: 40 } } }), "must add up to 100, got 90"],
  ["weighted function names are valid", route("t14", { functionref: { type: "function-weights", functionweights: { Bad: 100 } } }), 'function name in spec.functionref.functionweights "Bad"'],
  ["recorder names are DNS-1123", recorder("Rec"), /recorder name "Rec" is not a valid DNS-1123 name/],
  ["a recorder needs a function or triggers", recorder("r1", { function: "" }), 'recorder "r1": spec.function or spec.triggers is required'],
  ["recorder trigger names are valid", recorder("r2", { triggers: ["Bad!"] }), 'spec.triggers "Bad!" is not a valid DNS-1123 name'],
  ["sample_rate is more than 0", recorder("r3", { sampleRate: 0 }), "spec.sample_rate must be more than 0 and at most 1, got 0"],
  ["sample_rate is at most 1", recorder("r4", { sampleRate: 1.5 }), "spec.sample_rate must be more than 0 and at most 1, got 1.5"],
  ["retention is a duration", recorder("r5", { retention: "3 days" }), 'spec.retention "3 days" must be a positive duration'],
  ["retention is positive", recorder("r6", { retention: "0h" }), 'spec.retention "0h" must be a positive duration'],
  ["max_body_bytes is not negative", recorder("r7", { maxBodyBytes: -1 }), "spec.max_body_bytes must be 0 or more, got -1"],
];

describe("validation", () => {
  it.each(invalidCases)("%s", async (_rule, resource, message) => {
    await expectFizz(c.client.create({ resource }), "INVALID_ARGUMENT", message);
  });

  it("allows paths that only look like reserved ones", async () => {
    for (const [name, relativeurl] of [["near-m", "/metrics/app"], ["near-i", "/fizz-invocations-ui"], ["near-h", "/api/healthz"], ["near-f", "/fizz-functions"]])
      expect(meta(await c.client.create({ resource: route(name, { relativeurl }) })).name).toBe(name);
  });

  it("validates updates as well as creates", async () => {
    const cur = await c.client.get({ kind: Kind.ENVIRONMENT, name: "node" });
    if (cur.kind.case !== "environment") throw new Error("kind");
    cur.kind.value.spec!.runtime!.image = "";
    await expectFizz(c.client.update({ resource: cur }), "INVALID_ARGUMENT", "spec.runtime.image is required");
  });

  it("defaults buildstatus: succeeded for a deployment archive, pending for a source archive", async () => {
    const dep = await c.client.create({ resource: pkg("built", { deployment: { url: "storage://abc", checksum: { sum: SHA.toUpperCase() } } }) });
    if (dep.kind.case !== "package") throw new Error("kind");
    expect(dep.kind.value.status?.buildstatus).toBe("succeeded");
    expect(dep.kind.value.spec?.deployment?.type).toBe("url");
    expect(dep.kind.value.spec?.deployment?.checksum).toMatchObject({ type: "sha256", sum: SHA });
    const src = await c.client.create({ resource: pkg("to-build", { source: { literal: bytes("zip") }, deployment: undefined }) });
    if (src.kind.case !== "package") throw new Error("kind");
    expect(src.kind.value.status?.buildstatus).toBe("pending");
    expect(src.kind.value.spec?.source?.type).toBe("literal");
  });

  it("resets the build to pending when the source changes and the caller kept the old status", async () => {
    const p = await c.client.get({ kind: Kind.PACKAGE, name: "to-build" });
    if (p.kind.case !== "package") throw new Error("kind");
    p.kind.value.status!.buildstatus = "succeeded";
    const built = await c.client.update({ resource: p });
    if (built.kind.case !== "package") throw new Error("kind");
    expect(built.kind.value.status?.buildstatus).toBe("succeeded");
    built.kind.value.spec!.source!.literal = bytes("new zip");
    const changed = await c.client.update({ resource: built });
    if (changed.kind.case !== "package") throw new Error("kind");
    expect(changed.kind.value.status?.buildstatus).toBe("pending");
  });

  it("normalizes trigger methods, folds the deprecated method in, and lower-cases hosts", async () => {
    const t = await c.client.create({ resource: route("norm", { methods: ["get", "post", "GET"], host: "Example.COM" }) });
    if (t.kind.case !== "httpTrigger") throw new Error("kind");
    expect(t.kind.value.spec?.methods).toEqual(["GET", "POST"]);
    expect(t.kind.value.spec?.host).toBe("example.com");
    const old = await c.client.create({ resource: route("legacy", { methods: [], method: "put" }) });
    if (old.kind.case !== "httpTrigger") throw new Error("kind");
    expect(old.kind.value.spec?.methods).toEqual(["PUT"]);
    expect(old.kind.value.spec?.method).toBe("");
    const any = await c.client.create({ resource: route("any", { methods: [] }) });
    if (any.kind.case !== "httpTrigger") throw new Error("kind");
    expect(any.kind.value.spec?.methods).toEqual([]);
    expect(any.kind.value.spec?.functionref?.type).toBe("name");
  });

  it("accepts prefixes, parameters and weighted references", async () => {
    const p = await c.client.create({ resource: route("pre", { relativeurl: "", prefix: "/api/{version}" }) });
    expect(meta(p).name).toBe("pre");
    const w = await c.client.create({
      resource: route("canary", { relativeurl: "/shop/{id}", functionref: { type: "function-weights", functionweights: { v1: 90, v2: 10, v3: 0 } } }),
    });
    expect(meta(w).generation).toBe(1n);
  });

  it("accepts zero for the numeric settings, meaning the default", async () => {
    const e = await c.client.create({ resource: env("nopool", { poolsize: 0, version: 0 }) });
    expect(meta(e).name).toBe("nopool");
    const f = await c.client.create({ resource: fn("zeros", { functionTimeout: 0, idletimeout: 0, concurrency: 0, requestsPerPod: 0 }) });
    expect(meta(f).name).toBe("zeros");
  });

  it("fills in recorder defaults: sample rate 1, retention 24h, 64 KiB bodies, authorization and cookie redacted", async () => {
    const r = await c.client.create({ resource: recorder("defaults") });
    if (r.kind.case !== "recorder") throw new Error("kind");
    expect(r.kind.value.spec).toMatchObject({ sampleRate: 1, retention: "24h", maxBodyBytes: 65536, redactHeaders: ["authorization", "cookie"] });
  });

  it("keeps recorder settings given, lower-casing redacted headers and retention", async () => {
    const r = await c.client.create({
      resource: recorder("custom", { sampleRate: 0.25, retention: "7D", maxBodyBytes: 0, redactHeaders: ["X-Api-Key", "x-api-key", "Cookie"] }),
    });
    if (r.kind.case !== "recorder") throw new Error("kind");
    expect(r.kind.value.spec).toMatchObject({ sampleRate: 0.25, retention: "7d", maxBodyBytes: 0, redactHeaders: ["x-api-key", "cookie"] });
    for (const retention of ["90s", "30m", "72h", "1h30m"]) {
      const ok = await c.client.create({ resource: recorder(`ret-${retention}`, { retention }) });
      expect(ok.kind.case === "recorder" && ok.kind.value.spec?.retention).toBe(retention);
    }
  });
});
