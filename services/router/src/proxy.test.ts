// The proxy against real HTTP upstreams; the executor is a function handing out their addresses.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { FunctionSchema, HTTPTriggerSchema } from "@fizz/proto";
import { FizzError } from "@fizz/common";
import type { GetService } from "./cache/warm.js";
import { RouteTable } from "./routes/table.js";
import { staticFront, type StaticFront } from "./static-front.js";

let upstream: http.Server;
let upAddr: string;
let deadAddr: string;
const closed: string[] = [];

let behaviour: { getService: GetService } = { getService: async () => ({ address: upAddr, functionResourceVersion: "9" }) };
const calls: string[] = [];
const reports: string[] = [];
let front: StaticFront;
let base: string;

const fns = [
  create(FunctionSchema, { metadata: { name: "echo", namespace: "default", resourceVersion: "9" }, spec: { functionTimeout: 1 } }),
  create(FunctionSchema, { metadata: { name: "other", namespace: "default", resourceVersion: "3" } }),
  create(FunctionSchema, { metadata: { name: "fresh", namespace: "default", resourceVersion: "3" } }),
];
const trig = (name: string, spec: Record<string, unknown>) =>
  create(HTTPTriggerSchema, { metadata: { name, namespace: "default" }, spec: { functionref: { name: "echo" }, ...spec } });
const table = RouteTable.build(
  [trig("p", { relativeurl: "/users/{id}" }), trig("pre", { prefix: "/api" }), trig("e", { relativeurl: "/exact", methods: ["GET", "POST"] }), trig("g", { relativeurl: "/ghost", functionref: { name: "ghost" } })],
  fns,
);

function listen(server: http.Server): Promise<string> {
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    // The response closing unfinished = the router hung up on us.
    res.on("close", () => {
      if (!res.writableFinished) closed.push(req.url ?? "");
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "";
      if (url.startsWith("/hang") || url.includes("hang")) return; // never answers
      if (url.includes("boom")) {
        res.writeHead(503, { "x-from": "fn" });
        return res.end("function says no");
      }
      res.writeHead(200, { "content-type": "application/json", "x-from": "fn", connection: "keep-alive" });
      res.end(JSON.stringify({ method: req.method, url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  upAddr = await listen(upstream);
  const dead = http.createServer();
  deadAddr = await listen(dead);
  await new Promise((r) => dead.close(r));

  front = await staticFront({
    table,
    getService: (fn, busy) => {
      calls.push(fn.key);
      return behaviour.getService(fn, busy);
    },
    onUnreachable: (address) => reports.push(address),
    maxBodyBytes: 1000,
  });
  base = front.base;
});

afterAll(async () => {
  await front.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

/** Another router front over the same table, with its own executor behaviour. */
async function serve(getService: GetService) {
  const reports: string[] = [];
  const f = await staticFront({ table, getService, onUnreachable: (address) => reports.push(address), maxBodyBytes: 1000 });
  return { base: f.base, reports, close: () => f.close() };
}

/** A raw request, so tests can send chunked bodies and hang up. */
function raw(path: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; chunks?: string[] } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: opts.method ?? "POST", headers: opts.headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

describe("proxy", () => {
  it("forwards method, path, query, body and the function's headers; returns status and headers", async () => {
    const res = await fetch(`${base}/users/a%20b?x=1&y=2`, { method: "PUT", body: "hi", headers: { "x-custom": "c" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-from")).toBe("fn");
    const got = (await res.json()) as { method: string; url: string; body: string; headers: Record<string, string> };
    expect(got.method).toBe("PUT");
    expect(got.url).toBe("/users/a%20b?x=1&y=2");
    expect(got.body).toBe("hi");
    expect(got.headers["x-custom"]).toBe("c");
    expect(got.headers["x-fizz-function-name"]).toBe("echo");
    expect(got.headers["x-fizz-function-namespace"]).toBe("default");
    expect(got.headers["x-fizz-function-resourceversion"]).toBe("9");
    expect(got.headers["x-fizz-params-id"]).toBe("a b");
    expect(got.headers["x-fission-params-id"]).toBe("a b");
  });

  it("strips the prefix for prefix routes and serves /fizz-function/<name>/rest", async () => {
    const a = (await (await fetch(`${base}/api/v1/x?q=1`)).json()) as { url: string };
    expect(a.url).toBe("/v1/x?q=1");
    const b = (await (await fetch(`${base}/fizz-function/other/deep/path`)).json()) as { url: string; headers: Record<string, string> };
    expect(b.url).toBe("/deep/path");
    expect(b.headers["x-fizz-function-name"]).toBe("other");
  });

  it("answers 404 JSON for unknown routes, methods and functions", async () => {
    for (const [path, method] of [["/nope", "GET"], ["/exact", "DELETE"], ["/ghost", "GET"], ["/fizz-function/ghost", "GET"]] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("NOT_FOUND");
    }
  });

  it("passes a function's 5xx through unchanged", async () => {
    const res = await fetch(`${base}/api/boom`);
    expect(res.status).toBe(503);
    expect(res.headers.get("x-from")).toBe("fn");
    expect(await res.text()).toBe("function says no");
  });

  it("rejects an oversized Content-Length with 413 at once", async () => {
    const res = await raw("/exact", { headers: { "content-length": "5000" }, chunks: [] });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers 413 when a chunked body passes the limit mid-stream", async () => {
    const ok = await raw("/exact", { chunks: ["a".repeat(600), "b".repeat(300)] });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).body).toHaveLength(900);
    const res = await raw("/exact", { chunks: ["a".repeat(600), "b".repeat(600)] });
    expect(res.status).toBe(413);
  });

  it("answers 504 when the function does not respond within functionTimeout", async () => {
    const t0 = Date.now();
    const res = await fetch(`${base}/api/hang`);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ error: "function echo did not respond within 1 s", code: "DEADLINE_EXCEEDED" });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("aborts the upstream request when the client disconnects", async () => {
    const req = http.request(`${base}/api/hang-client`, { agent: false });
    req.on("error", () => undefined);
    req.end();
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).not.toContain("/hang-client");
    req.destroy();
    for (let i = 0; i < 50 && !closed.includes("/hang-client"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toContain("/hang-client");
  });

  it("retries a refused address after reporting it, then uses a fresh one", async () => {
    const before = calls.length;
    let n = 0;
    behaviour = { getService: async () => ({ address: n++ === 0 ? deadAddr : upAddr, functionResourceVersion: "3" }) };
    // "fresh" has no instance yet, so the first lookup gets the dead address.
    const res = await fetch(`${base}/fizz-function/fresh`, { method: "POST", body: "again" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: string }).body).toBe("again");
    expect(reports).toContain(deadAddr);
    expect(calls.length - before).toBe(2);
  });

  it("answers 502 when every attempt is refused", async () => {
    const s = await serve(async () => ({ address: deadAddr, functionResourceVersion: "3" }));
    const res = await fetch(`${s.base}/exact`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: string }).code).toBe("UNAVAILABLE");
    expect(s.reports.length).toBeGreaterThanOrEqual(3);
    await s.close();
  });

  it("maps executor errors to HTTP statuses", async () => {
    const cases: Array<[FizzError, number, string | undefined]> = [
      [new FizzError("NOT_FOUND", "no such function"), 404, undefined],
      [new FizzError("RESOURCE_EXHAUSTED", "too many instances"), 429, undefined],
      [new FizzError("FAILED_PRECONDITION", "package not built", "PACKAGE_NOT_BUILT"), 503, "package not built"],
      [new FizzError("UNAVAILABLE", "cannot reach ExecutorService", "UNREACHABLE"), 503, "executor unavailable"],
    ];
    for (const [err, status, message] of cases) {
      const s = await serve(async () => {
        throw err;
      });
      const res = await fetch(`${s.base}/exact`);
      expect(res.status).toBe(status);
      if (status === 429) expect(res.headers.get("retry-after")).toBe("1");
      const body = (await res.json()) as { error: string; code: string; reason?: string };
      expect(body.code).toBe(err.code);
      expect(body.error).toBe(message ?? err.message);
      // The stable finer reason travels for preconditions, so clients need not parse messages.
      expect(body.reason).toBe(err.code === "FAILED_PRECONDITION" ? err.reason : undefined);
      await s.close();
    }
  });
});
