// Weighted routes (function-weights): the function is picked once per request, so a request's
// retries stay on the function it was sent to; the next request is picked afresh.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { FunctionSchema, HTTPTriggerSchema } from "@fizz/proto";
import { RouteTable } from "./routes/table.js";
import { staticFront, type StaticFront } from "./static-front.js";

let upstream: http.Server;
let front: StaticFront;
let base: string;
/** Function names the upstream saw, per request id, one per attempt. */
const attempts = new Map<string, string[]>();

beforeAll(async () => {
  // Drops the connection on a request's first attempt (the proxy retries: no response byte was
  // sent) and answers the second.
  upstream = http.createServer((req, res) => {
    const id = String(req.headers["x-fizz-request-id"]);
    const seen = attempts.get(id) ?? [];
    seen.push(String(req.headers["x-fizz-function-name"]));
    attempts.set(id, seen);
    if (seen.length === 1) return req.socket.destroy();
    res.end(seen.at(-1));
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const address = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const fns = ["a", "b"].map((name) => create(FunctionSchema, { metadata: { name, namespace: "default", resourceVersion: "1" } }));
  const table = RouteTable.build(
    [create(HTTPTriggerSchema, { metadata: { name: "split", namespace: "default" }, spec: { relativeurl: "/split", functionref: { type: "function-weights", functionweights: { a: 50, b: 50 } } } })],
    fns,
  );
  front = await staticFront({ table, address: () => address, maxBodyBytes: 1000 });
  base = front.base;
});

afterAll(async () => {
  await front.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

describe("function-weights routing", () => {
  it("keeps a request's retry on the function picked for it, and picks per request", async () => {
    const answered: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${base}/split`, { headers: { "x-fizz-request-id": `req-${i}` } });
      expect(res.status).toBe(200);
      const fn = await res.text();
      answered[fn] = (answered[fn] ?? 0) + 1;
      const seen = attempts.get(`req-${i}`)!;
      // Two attempts (the first connection was dropped), both to the function that answered.
      expect(seen).toEqual([fn, fn]);
    }
    // No affinity: with 50/50 weights, 40 requests reach both (each missing is 2^-40 likely).
    expect(answered.a).toBeGreaterThan(0);
    expect(answered.b).toBeGreaterThan(0);
  });
});
