// Recording through the real proxy: real HTTP upstreams, a real gRPC RecorderService that
// collects batches, and a recorder address with nothing listening for the "recorder down" case.
// Batches go the way the router sends them: through WorkerSink's shipping thread.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readdirSync } from "node:fs";
import { getPriority } from "node:os";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { FunctionSchema, HTTPTriggerSchema, RecorderSchema, RecorderService, type Record as Rec } from "@fizz/proto";
import { FizzError, silentLogger } from "@fizz/common";
import { bind, startRpcServer, type RpcServer } from "@fizz/rpc";
import { RouteTable } from "../routes/table.js";
import { RecorderIndex } from "./selector.js";
import { Shipper } from "./shipper.js";
import { WorkerSink } from "./worker-sink.js";
import { encodeStoreBatch } from "./encode.js";
import { staticFront } from "../static-front.js";

const BIG = "x".repeat(5000);
let upstream: http.Server;
let upAddr: string;
let rpc: RpcServer;
const stored: Rec[] = [];
const sinks: WorkerSink[] = [];
const closers: Array<() => Promise<unknown>> = [];

const fns = [create(FunctionSchema, { metadata: { name: "echo", namespace: "default", resourceVersion: "4" } })];
const trig = (name: string, prefix: string) =>
  create(HTTPTriggerSchema, { metadata: { name, namespace: "default" }, spec: { functionref: { name: "echo" }, prefix } });
const table = RouteTable.build([trig("rec", "/rec"), trig("plain", "/plain"), trig("half", "/half"), trig("small", "/small")], fns);
const recorder = (name: string, spec: Record<string, unknown>) =>
  create(RecorderSchema, { metadata: { name, namespace: "default" }, spec: { enabled: true, retention: "72h", ...spec } });
const index = RecorderIndex.build([
  recorder("r-all", { triggers: ["rec"], redactHeaders: ["authorization", "cookie"] }),
  recorder("r-half", { triggers: ["half"], sampleRate: 0.5 }),
  recorder("r-small", { triggers: ["small"], maxBodyBytes: 16 }),
  recorder("r-off", { triggers: ["plain"], enabled: false }),
]);

function listen(server: http.Server | net.Server): Promise<string> {
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** A router front over the table whose shipper talks to `recorderAddr`. */
async function front(recorderAddr: string, recorders = index, fnAddr = () => upAddr) {
  const sink = new WorkerSink(recorderAddr, silentLogger);
  sinks.push(sink);
  const shipper = new Shipper(sink, silentLogger, { flushIntervalMs: 20, timeoutMs: 300 });
  shipper.start();
  const f = await staticFront({ table, address: fnAddr, recorders, shipper });
  closers.push(() => f.close());
  return { base: f.base, shipper };
}

/** The raw response bytes (status line, headers, body) minus the per-response Date and request id. */
function rawExchange(base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), "127.0.0.1", () => {
      s.write(`POST ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`);
      for (const [k, v] of Object.entries(headers)) s.write(`${k}: ${v}\r\n`);
      s.write(`\r\n${body}`);
    });
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks).toString("latin1").replace(/\r\n(date|x-fizz-request-id): [^\r]*/gi, "")));
    s.on("error", reject);
  });
}

async function waitFor<T>(what: () => T | undefined, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** STREAMED in separate writes a tick apart, so the router gets it in many socket reads. */
const STREAMED = Array.from({ length: 40 }, (_, i) => `chunk ${i} `.padEnd(200, String.fromCharCode(97 + (i % 26)))).join("");
async function stream(res: http.ServerResponse): Promise<void> {
  res.writeHead(200, { "content-type": "text/plain" });
  for (let i = 0; i < STREAMED.length; i += 200) {
    await new Promise<void>((r) => res.write(STREAMED.slice(i, i + 200), () => setImmediate(r)));
  }
  res.end();
}
const cutIds: string[] = [];
const REC = { requestId: "a", function: "f", namespace: "default", trigger: "", recorder: "r", timestampMs: 1, method: "GET", url: "/", requestHeaders: {}, requestBody: new Uint8Array(), requestBodyTruncated: false, status: 200, responseHeaders: {}, responseBody: new Uint8Array(), responseBodyTruncated: false, durationMs: 1, traceId: "", retentionSeconds: 60 };

const findRecord = (id: string) => waitFor(() => stored.find((r) => r.requestId === id));

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const got = Buffer.concat(chunks).toString();
      if (req.url?.startsWith("/stream")) return void stream(res);
      if (req.url?.startsWith("/cut")) {
        cutIds.push(String(req.headers["x-fizz-request-id"]));
        res.writeHead(200, { "content-type": "text/plain" });
        return void res.write("partial", () => res.destroy());
      }
      if (req.url?.startsWith("/fixed")) {
        res.writeHead(201, [["content-type", "text/plain"], ["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-multi", "m"]].flat());
        return res.end(`fixed:${got.length}:${BIG}`);
      }
      res.writeHead(200, { "content-type": "application/json", "set-cookie": "sid=secret" });
      res.end(JSON.stringify({ url: req.url, body: got, requestId: req.headers["x-fizz-request-id"] }));
    });
  });
  upAddr = await listen(upstream);
  rpc = await startRpcServer(
    "127.0.0.1:0",
    [
      bind(RecorderService, {
        storeBatch: async (req) => (stored.push(...req.records), { stored: req.records.length }),
        listRecords: async () => ({}),
        getRecord: async () => Promise.reject(new FizzError("NOT_FOUND", "no")),
        deleteRecords: async () => ({}),
        replay: async () => Promise.reject(new FizzError("UNIMPLEMENTED", "no")),
      }),
    ],
    silentLogger,
  );
});

afterAll(async () => {
  for (const c of closers) await c();
  for (const s of sinks) s.close();
  await rpc.stop();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

describe("request ids", () => {
  it("every response carries a unique X-Fizz-Request-Id, also forwarded to the function; the client's is kept", async () => {
    const { base } = await front(rpc.address, RecorderIndex.NONE);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/plain/x`, { method: "POST", body: "b" });
      const id = res.headers.get("x-fizz-request-id");
      expect(id).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);
      expect(((await res.json()) as { requestId: string }).requestId).toBe(id);
      ids.add(id!);
    }
    expect(ids.size).toBe(20);
    const mine = await fetch(`${base}/plain/x`, { headers: { "x-fizz-request-id": "client-chosen-1" } });
    expect(mine.headers.get("x-fizz-request-id")).toBe("client-chosen-1");
    expect(((await mine.json()) as { requestId: string }).requestId).toBe("client-chosen-1");
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-fizz-request-id")).toMatch(/-/);
  });
});

describe("recording", () => {
  it("does not change status, headers or body (byte for byte), and records the pair", async () => {
    const { base } = await front(rpc.address);
    const body = "y".repeat(3000);
    const recorded = await rawExchange(base, "/rec/fixed?q=1", body);
    const plain = await rawExchange(base, "/plain/fixed?q=1", body);
    expect(recorded).toBe(plain);
    expect(recorded).toMatch(/^HTTP\/1.1 201/);

    const res = await fetch(`${base}/rec/echo?z=9`, { method: "PUT", body: "hello", headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
    const id = res.headers.get("x-fizz-request-id")!;
    await res.text();
    const r = await findRecord(id);
    expect(r).toMatchObject({ function: "echo", namespace: "default", trigger: "rec", recorder: "r-all", method: "PUT", url: "/rec/echo?z=9", status: 200 });
    expect(Buffer.from(r.requestBody).toString()).toBe("hello");
    expect(JSON.parse(Buffer.from(r.responseBody).toString())).toMatchObject({ url: "/echo?z=9", body: "hello" });
    expect(r.requestBodyTruncated).toBe(false);
    expect(r.responseBodyTruncated).toBe(false);
    expect(r.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(r.retentionSeconds).toBe(72n * 3600n);
    expect(r.durationMs).toBeGreaterThan(0);
    expect(Number(r.timestampMs)).toBeGreaterThan(Date.now() - 60_000);
    expect(r.responseHeaders["content-type"]).toBe("application/json");
    // Replays are not recorded again.
    const replayed = await fetch(`${base}/rec/echo`, { headers: { "x-fizz-replay-of": id } });
    await replayed.text();
    await new Promise((r) => setTimeout(r, 100));
    expect(stored.some((x) => x.requestId === replayed.headers.get("x-fizz-request-id"))).toBe(false);
    // Disabled recorders record nothing.
    expect(stored.some((x) => x.trigger === "plain")).toBe(false);
  });

  it("cuts bodies at max_body_bytes and marks them truncated", async () => {
    const { base } = await front(rpc.address);
    const res = await fetch(`${base}/small/fixed`, { method: "POST", body: "z".repeat(100) });
    const text = await res.text();
    expect(text).toBe(`fixed:100:${BIG}`);
    const r = await findRecord(res.headers.get("x-fizz-request-id")!);
    expect(r.requestBody.length).toBe(16);
    expect(r.requestBodyTruncated).toBe(true);
    expect(Buffer.from(r.responseBody).toString()).toBe(text.slice(0, 16));
    expect(r.responseBodyTruncated).toBe(true);
    // Chunked request bodies are copied the same way.
    const chunked = await fetch(`${base}/small/echo`, { method: "POST", body: new Blob(["abc"]).stream(), duplex: "half" } as RequestInit);
    expect(((await chunked.json()) as { body: string }).body).toBe("abc");
    const c = await findRecord(chunked.headers.get("x-fizz-request-id")!);
    expect(Buffer.from(c.requestBody).toString()).toBe("abc");
    expect(c.requestBodyTruncated).toBe(false);
  });

  it("redacts configured headers in the request and the response (Set-Cookie with cookie)", async () => {
    const { base } = await front(rpc.address);
    const res = await fetch(`${base}/rec/echo`, { headers: { authorization: "Bearer s3cret", cookie: "sid=1", "x-keep": "k" } });
    expect(res.headers.get("set-cookie")).toBe("sid=secret"); // the client still gets it
    const r = await findRecord(res.headers.get("x-fizz-request-id")!);
    expect(r.requestHeaders.authorization).toBe("[redacted]");
    expect(r.requestHeaders.cookie).toBe("[redacted]");
    expect(r.requestHeaders["x-keep"]).toBe("k");
    expect(r.responseHeaders["set-cookie"]).toBe("[redacted]");
    expect(JSON.stringify(r.requestHeaders)).not.toContain("s3cret");
  });

  it("records a response that arrives in many chunks byte for byte, also while other responses stream", async () => {
    const { base } = await front(rpc.address);
    const all = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/rec/stream`)));
    for (const res of all) {
      expect(await res.text()).toBe(STREAMED);
      const r = await findRecord(res.headers.get("x-fizz-request-id")!);
      expect(Buffer.from(r.responseBody).toString()).toBe(STREAMED);
      expect(r.responseBodyTruncated).toBe(false);
    }
  });

  it("records the router's own answer when the function is unreachable, with no upstream head or body", async () => {
    const dead = net.createServer();
    const deadAddr = await listen(dead);
    await new Promise((r) => dead.close(r));
    const { base } = await front(rpc.address, index, () => deadAddr);
    const res = await fetch(`${base}/rec/x`, { headers: { authorization: "Bearer t" } });
    expect(res.status).toBe(502);
    const r = await findRecord(res.headers.get("x-fizz-request-id")!);
    expect(r).toMatchObject({ status: 502, responseHeaders: {}, responseBodyTruncated: false, url: "/rec/x" });
    expect(r.responseBody.length).toBe(0);
    expect(r.requestHeaders.authorization).toBe("[redacted]");
  });

  it("does not record a response the function cut off midway", async () => {
    const { base } = await front(rpc.address);
    await expect(fetch(`${base}/rec/cut`).then((r) => r.text())).rejects.toThrow();
    expect(cutIds).toHaveLength(1);
    // Records ship in order: once a later one is stored, the cut one would have been too.
    const later = await fetch(`${base}/rec/after-cut`);
    await later.text();
    await findRecord(later.headers.get("x-fizz-request-id")!);
    expect(stored.some((r) => r.requestId === cutIds[0])).toBe(false);
  });

  it("sample rate 0.5 records roughly half", async () => {
    const { base } = await front(rpc.address);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${base}/half/echo`);
      await res.text();
      ids.push(res.headers.get("x-fizz-request-id")!);
    }
    await new Promise((r) => setTimeout(r, 200));
    const n = ids.filter((id) => stored.some((r) => r.requestId === id)).length;
    expect(n).toBeGreaterThan(60);
    expect(n).toBeLessThan(140);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (index.select("default/echo", "default/half")) hits++;
    expect(hits / 20_000).toBeGreaterThan(0.47);
    expect(hits / 20_000).toBeLessThan(0.53);
  });

  it("with the recorder down, requests succeed at the same pace and records are dropped and counted", async () => {
    const dead = net.createServer();
    const deadAddr = await listen(dead);
    await new Promise((r) => dead.close(r));
    const down = await front(deadAddr);
    const off = await front(deadAddr, RecorderIndex.NONE);
    const run = async (base: string, prefix: string) => {
      const t0 = performance.now();
      for (let i = 0; i < 150; i++) {
        const res = await fetch(`${base}/${prefix}/echo`, { method: "POST", body: "payload" });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      return performance.now() - t0;
    };
    await run(off.base, "rec"); // warm both paths
    await run(down.base, "rec");
    const tOff = await run(off.base, "rec");
    const tOn = await run(down.base, "rec");
    expect(tOn).toBeLessThan(tOff * 3 + 200);
    const stats = await waitFor(() => {
      const s = down.shipper.snapshot();
      return s.droppedRecords >= 300 && s.buffered === 0 ? s : undefined;
    }, 5000);
    expect(stats.recorded).toBe(300);
    expect(stats.shipped).toBe(0);
    const viaHttp = (await (await fetch(`${down.base}/_fizz/stats`)).json()) as { droppedRecords: number };
    expect(viaHttp.droppedRecords).toBe(300);
    expect(off.shipper.snapshot().recorded).toBe(0);
  });
});

describe("WorkerSink", () => {
  const batch = (id: string) => encodeStoreBatch([{ ...REC, requestId: id }]);

  it("sends batches from its thread, moving a large batch's buffer and copying a small one (node's pool)", async () => {
    const sink = new WorkerSink(rpc.address, silentLogger);
    sinks.push(sink);
    // Large: a view at an offset into a bigger buffer, as BatchWriter hands them out; moved whole.
    const big = encodeStoreBatch([{ ...REC, requestId: "w-big", responseBody: new Uint8Array(Buffer.poolSize) }]);
    const room = new Uint8Array(big.length + 64);
    room.set(big, 32);
    expect(await sink.callRaw("storeBatch", room.subarray(32, 32 + big.length))).toMatchObject({ stored: 1 });
    expect(room.buffer.byteLength).toBe(0);
    // Small: possibly in node's pool, next to other Buffers, which must stay usable.
    const b = batch("w-small");
    const slab = new Uint8Array(b.length + 16).fill(7);
    slab.set(b, 8);
    expect(await sink.callRaw("storeBatch", slab.subarray(8, 8 + b.length))).toMatchObject({ stored: 1 });
    expect(slab.byteLength).toBe(b.length + 16);
    expect(slab[0]).toBe(7);
    expect(await sink.storeBatch({ records: [{ requestId: "w-msg", function: "f" }] })).toMatchObject({ stored: 1 });
    expect(stored.map((r) => r.requestId)).toEqual(expect.arrayContaining(["w-big", "w-small", "w-msg"]));
  });

  it("fails the calls a dead thread held, and the next call starts another thread", async () => {
    const sink = new WorkerSink(rpc.address, silentLogger);
    sinks.push(sink);
    await sink.callRaw("storeBatch", batch("w-before"));
    const worker = (sink as unknown as { worker: { terminate(): Promise<number> } }).worker;
    const held = sink.callRaw("storeBatch", batch("w-held"));
    await worker.terminate();
    await expect(held).rejects.toThrow(/record shipping thread exited/);
    expect(await sink.callRaw("storeBatch", batch("w-after"))).toMatchObject({ stored: 1 });
  });

  // Linux keeps nice values per thread; /proc shows each thread's.
  (existsSync("/proc/self/task") ? it : it.skip)("runs its thread at the nice value it is given; the router's threads keep theirs", async () => {
    const nices = () => new Map(readdirSync("/proc/self/task").map((t) => [t, getPriority(Number(t))]));
    const before = nices();
    const sink = new WorkerSink(rpc.address, silentLogger, 7);
    sinks.push(sink);
    await sink.callRaw("storeBatch", batch("w-nice"));
    const after = nices();
    const started = [...after].filter(([t]) => !before.has(t));
    expect(started.filter(([, n]) => n === 7)).toHaveLength(1);
    for (const [t, n] of before) if (after.has(t)) expect([t, after.get(t)]).toEqual([t, n]);
  });

  it("reports the recorder's errors, and refuses calls once closed", async () => {
    const down = new WorkerSink("127.0.0.1:1", silentLogger);
    sinks.push(down);
    await expect(down.callRaw("storeBatch", batch("w-down"), { timeoutMs: 300 })).rejects.toThrow(/./);
    down.close();
    await expect(down.callRaw("storeBatch", batch("w-closed"))).rejects.toThrow(/closed/);
  });
});

describe("Shipper", () => {
  const rec = REC;

  it("drops and counts past its buffer bounds without sending anything on push", async () => {
    const sent: number[] = [];
    const s = new Shipper({ storeBatch: async (req) => (sent.push(req.records?.length ?? 0), {}) as never }, silentLogger, { maxRecords: 3 });
    for (let i = 0; i < 5; i++) s.push({ ...rec, requestId: String(i) });
    expect(sent).toEqual([]);
    expect(s.snapshot()).toMatchObject({ recorded: 5, droppedRecords: 2, buffered: 3 });
    await s.flush();
    expect(sent).toEqual([3]);
    expect(s.snapshot()).toMatchObject({ shipped: 3, buffered: 0 });
  });

  it("sends full batches while one is in flight, and the partial rest only on a tick or when draining", async () => {
    const sent: string[][] = [];
    let release: () => void = () => undefined;
    const s = new Shipper(
      {
        storeBatch: (req) => {
          sent.push((req.records ?? []).map((r) => r.requestId ?? ""));
          return new Promise((r) => (release = () => r({} as never)));
        },
      },
      silentLogger,
      { batchSize: 2 },
    );
    for (const id of ["1", "2", "3"]) s.push({ ...rec, requestId: id });
    const first = s.flush(); // sends the full batch [1, 2]
    expect(sent).toEqual([["1", "2"]]);
    for (const id of ["4", "5", "6"]) s.push({ ...rec, requestId: id });
    release();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    // [3, 4] filled up meanwhile and follows at once; [5, 6] too; nothing partial is left.
    expect(sent).toEqual([["1", "2"], ["3", "4"]]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([["1", "2"], ["3", "4"], ["5", "6"]]);
    release();
    await first;
    s.push({ ...rec, requestId: "7" });
    s.push({ ...rec, requestId: "8" });
    s.push({ ...rec, requestId: "9" });
    const second = s.flush(); // a tick: [7, 8] is sealed and goes; 9 stays in the open batch
    release();
    await second;
    expect(sent.slice(3)).toEqual([["7", "8"]]);
    expect(s.snapshot()).toMatchObject({ shipped: 8, buffered: 1 });
    const stop = s.stop(); // drains the partial rest
    await new Promise((r) => setImmediate(r));
    release();
    await stop;
    expect(sent.slice(4)).toEqual([["9"]]);
    expect(s.snapshot()).toMatchObject({ recorded: 9, shipped: 9, buffered: 0, droppedRecords: 0 });
  });

  it("closes a batch at maxBatchBytes whatever its count, and counts a failed batch as dropped", async () => {
    const sent: number[] = [];
    let fail = false;
    const s = new Shipper(
      { storeBatch: async (req) => (sent.push(req.records?.length ?? 0), fail ? Promise.reject(new Error("down")) : ({} as never)) },
      silentLogger,
      { batchSize: 1000, maxBatchBytes: 2500 },
    );
    const body = new Uint8Array(1000).fill(1);
    for (let i = 0; i < 5; i++) s.push({ ...rec, requestId: String(i), responseBody: body });
    await s.flush(true);
    expect(sent).toEqual([3, 2]); // the third record took the first batch past 2500 bytes
    fail = true;
    s.push({ ...rec, requestId: "x" });
    await s.flush(true);
    expect(s.snapshot()).toMatchObject({ recorded: 6, shipped: 5, droppedRecords: 1, failedBatches: 1, buffered: 0 });
  });
});
