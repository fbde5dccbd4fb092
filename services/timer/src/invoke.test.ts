// The retry policy of one run, against a real HTTP server standing in for the router.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "@fizz/common";
import { configSchema } from "./config.js";
import { Invoker, type RunRequest } from "./invoke.js";

let server: Server;
let url: string;
let calls: Array<{ at: number; path: string; method: string; attempt: string }> = [];
let answer: (n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 });

beforeAll(async () => {
  server = createServer((req, res) => {
    calls.push({ at: Date.now(), path: req.url ?? "", method: req.method ?? "", attempt: String(req.headers["x-fizz-timer-attempt"]) });
    const a = answer(calls.length);
    res.writeHead(a.status, a.headers).end(`answer ${a.status}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const invoker = (retry: Partial<{ attempts: number; backoffMs: number; maxBackoffMs: number }> = {}, target = url) =>
  new Invoker(target, { attempts: 10, backoffMs: 50, maxBackoffMs: 30_000, ...retry }, 5000);
const req = (deadlineInMs: number, signal = new AbortController().signal): RunRequest => ({
  path: "/fizz-function/f/sub",
  method: "PATCH",
  headers: { "x-fizz-timer-name": "t" },
  deadline: Date.now() + deadlineInMs,
  now: Date.now,
  signal,
});

describe("Invoker.run", () => {
  it("sends method, path and the attempt number; one attempt on success", async () => {
    calls = [];
    answer = () => ({ status: 204 });
    const inv = invoker();
    const o = await inv.run(req(10_000));
    await inv.close();
    expect(o).toMatchObject({ ok: true, status: 204, attempts: 1 });
    expect(calls).toEqual([expect.objectContaining({ path: "/fizz-function/f/sub", method: "PATCH", attempt: "1" })]);
  });

  it("backs off exponentially on 5xx and stops before the next run is due", async () => {
    calls = [];
    answer = () => ({ status: 503 });
    const inv = invoker({ backoffMs: 100 });
    const seen: number[] = [];
    // Attempts at about 0, 100, 300, 700 ms; the next would start at 1500 ms, after the deadline.
    const o = await inv.run(req(1200), (x) => seen.push(x.attempts));
    await inv.close();
    expect(o).toMatchObject({ ok: false, status: 503, attempts: 4 });
    expect(o.error).toMatch(/HTTP 503: answer 503; no retry: the next run is due first/);
    expect(seen).toEqual([1, 2, 3, 4]);
    const g = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    expect(g[0]).toBeGreaterThanOrEqual(95);
    expect(g[1]).toBeGreaterThanOrEqual(195);
    expect(g[2]).toBeGreaterThanOrEqual(395);
    expect(calls.map((c) => c.attempt)).toEqual(["1", "2", "3", "4"]);
  });

  it("caps attempts and backoff", async () => {
    calls = [];
    answer = () => ({ status: 500 });
    const inv = invoker({ attempts: 3, backoffMs: 40, maxBackoffMs: 40 });
    const o = await inv.run(req(60_000));
    await inv.close();
    expect(o).toMatchObject({ ok: false, attempts: 3, status: 500 });
    expect(o.error).toBe("HTTP 500: answer 500");
  });

  it("retries 429 no sooner than Retry-After, and gives up when that is past the next run", async () => {
    calls = [];
    answer = (n) => (n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 });
    const inv = invoker();
    const o = await inv.run(req(5000));
    expect(o).toMatchObject({ ok: true, attempts: 2 });
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(990);
    calls = [];
    answer = () => ({ status: 429, headers: { "retry-after": "1" } });
    expect(await inv.run(req(500))).toMatchObject({ ok: false, attempts: 1, status: 429 });
    await inv.close();
  });

  it("does not retry other 4xx", async () => {
    calls = [];
    answer = () => ({ status: 404 });
    const inv = invoker();
    expect(await inv.run(req(10_000))).toMatchObject({ ok: false, attempts: 1, status: 404, error: "HTTP 404: answer 404" });
    await inv.close();
  });

  it("retries when the router is unreachable", async () => {
    // A port that was just free: connection refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const inv = invoker({ attempts: 3, backoffMs: 10 }, `http://127.0.0.1:${port}`);
    const o = await inv.run(req(10_000));
    await inv.close();
    expect(o).toMatchObject({ ok: false, attempts: 3, status: 0 });
    expect(o.error).toMatch(/router unreachable/);
  });

  it("rejects when aborted during a backoff", async () => {
    answer = () => ({ status: 500 });
    const inv = invoker({ backoffMs: 60_000, maxBackoffMs: 60_000 });
    const ac = new AbortController();
    const run = inv.run({ ...req(120_000, ac.signal) }, () => ac.abort());
    await expect(run).rejects.toThrow(/abort/i);
    await inv.close();
  });
});

describe("config", () => {
  it("has Fission's retry defaults and names every bad setting", () => {
    const c = loadConfig(configSchema, {}, "timer");
    expect(c).toMatchObject({ address: "127.0.0.1:9095", router: "http://127.0.0.1:8888", retry: { attempts: 10, backoffMs: 500 } });
    expect(() => loadConfig(configSchema, { FIZZ_TIMER_RETRY_ATTEMPTS: "0", FIZZ_TIMER: "nope", FIZZ_ROUTER: "http://[x" }, "timer")).toThrow(
      /invalid timer configuration:\n {2}FIZZ_TIMER: must be host:port.*\n {2}FIZZ_ROUTER: must be an http URL.*\n {2}FIZZ_TIMER_RETRY_ATTEMPTS: /s,
    );
  });
});
