// Micro-benchmark of the recorder's StoreBatch path: a real Recorder (embedded store with its log,
// default bounds) in a child process, fed batches of 1000 router-like records over gRPC from here.
// Reported: the recorder's CPU µs per record (its own process.cpuUsage) and the share of it spent
// in GC, so store changes can be judged without the whole platform's noise.
// Usage: node dist/recorder-store.js [seconds] [rounds]; `node dist/recorder-store.js store` measures
// the embedded store's putBatch alone, in process. BENCH_RECORDER_MODULE=<path> loads another
// build of @fizz/recorder in the child (to compare against an older one); BENCH_NULL_STORE=1 stores
// nothing (the cost of receiving the batches).
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { RecordSchema, RecorderService, StoreBatchRequestSchema } from "@fizz/proto";
import { createClient } from "@fizz/rpc";
import type { RecordStore } from "@fizz/recorder";
import { round } from "./common.js";

interface Usage {
  cpuUs: number;
  systemUs: number;
  gcMs: number;
  rssMb: number;
}

async function child(): Promise<void> {
  const mod = (await import(process.env.BENCH_RECORDER_MODULE ?? "@fizz/recorder")) as typeof import("@fizz/recorder");
  let gcMs = 0;
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) gcMs += e.duration;
  }).observe({ entryTypes: ["gc"] });
  const state = mkdtempSync(join(tmpdir(), "fizz-bench-recorder-"));
  // BENCH_NULL_STORE=1: a store that keeps nothing, so what is left is gRPC and the handler (the floor).
  const nullStore: RecordStore = {
    open: async () => {},
    put: async (rs) => rs.length,
    putBatch: async () => 1000,
    get: async () => undefined,
    list: async () => [],
    delete: async () => 0,
    close: async () => {},
  };
  const config = mod.configSchema.parse({ FIZZ_RECORDER: "127.0.0.1:0", FIZZ_STATE_DIR: state, FIZZ_METRICS: "off" });
  const svc = new mod.Recorder(config, undefined, process.env.BENCH_NULL_STORE ? nullStore : undefined);
  await svc.start();
  process.on("message", async (m) => {
    if (m === "usage") {
      const u = process.cpuUsage();
      process.send!({ cpuUs: u.user + u.system, systemUs: u.system, gcMs, rssMb: process.memoryUsage().rss / 2 ** 20 } satisfies Usage);
    } else if (m === "stop") {
      await svc.stop();
      rmSync(state, { recursive: true, force: true });
      process.exit(0);
    }
  });
  process.send!({ address: svc.address });
}

/** A record like the router ships for the bench's greet function. */
function routerLike(i: number) {
  return create(RecordSchema, {
    requestId: `bench-${i}`,
    function: "recorded",
    namespace: "default",
    recorder: "all",
    timestampMs: BigInt(Date.now()),
    method: "GET",
    url: "/recorded",
    requestHeaders: { host: "127.0.0.1:8888", connection: "keep-alive", "user-agent": "autocannon" },
    status: 200,
    responseHeaders: { "content-type": "application/json", "content-length": "45" },
    responseBody: new TextEncoder().encode('{"message":"hello, world","from":"greet"}'),
    durationMs: 0.4,
    traceId: "0af7651916cd43dd8448eb211c80319c",
    retentionSeconds: 600n,
  });
}

/** The embedded store alone, in this process: putBatch of pre-encoded batches, with its log. */
async function storeOnly(): Promise<void> {
  const { EmbeddedStore } = await import("@fizz/recorder");
  const state = mkdtempSync(join(tmpdir(), "fizz-bench-store-"));
  const records = Array.from({ length: 1000 }, (_, i) => routerLike(i));
  let seq = 0;
  const batches = Array.from({ length: 300 }, () => {
    for (const r of records) r.requestId = `bench-${(seq++).toString(36).padStart(10, "0")}`;
    return Buffer.from(toBinary(StoreBatchRequestSchema, create(StoreBatchRequestSchema, { records })));
  });
  const s = new EmbeddedStore({ file: join(state, "records.log"), maxRecords: 10_000, maxBytes: 64 * 2 ** 20 });
  await s.open();
  for (const b of batches.slice(0, 50)) await s.putBatch(b);
  const before = process.cpuUsage();
  for (const b of batches.slice(50)) await s.putBatch(b);
  const used = process.cpuUsage(before);
  process.stdout.write(`embedded store putBatch: ${round((used.user + used.system) / 250_000, 2)} µs CPU per record (in process, 250 batches of 1000)\n`);
  await s.close();
  rmSync(state, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 3);
  const proc = fork(fileURLToPath(import.meta.url), ["child"], { stdio: "inherit" });
  const next = () => new Promise<unknown>((resolve) => proc.once("message", resolve));
  const { address } = (await next()) as { address: string };
  const usage = async () => (proc.send("usage"), (await next()) as Usage);
  const client = createClient(RecorderService, address);
  const records = Array.from({ length: 1000 }, (_, i) => routerLike(i));
  let seq = 0;
  const send = async () => {
    for (const r of records) r.requestId = `bench-${(seq++).toString(36).padStart(10, "0")}`;
    await client.storeBatch({ records });
  };
  for (let i = 0; i < 20; i++) await send(); // warm-up, and the store reaches its 10 000-record bound
  const results: Array<{ usPerRecord: number; gcShare: number; systemShare: number; recordsPerSec: number }> = [];
  for (let r = 0; r < rounds; r++) {
    const before = await usage();
    const start = Date.now();
    const first = seq;
    while (Date.now() - start < seconds * 1000) await send();
    const after = await usage();
    const n = seq - first;
    const cpu = after.cpuUs - before.cpuUs;
    results.push({ usPerRecord: round(cpu / n, 2), gcShare: round(((after.gcMs - before.gcMs) * 1000) / cpu, 3),
      systemShare: round((after.systemUs - before.systemUs) / cpu, 3),
      recordsPerSec: Math.round(n / ((Date.now() - start) / 1000)) });
    process.stdout.write(`round ${r + 1}: ${JSON.stringify(results.at(-1))} rss ${Math.round(after.rssMb)} MB\n`);
  }
  const sorted = results.map((x) => x.usPerRecord).sort((a, b) => a - b);
  process.stdout.write(`recorder CPU per record: median ${sorted[sorted.length >> 1]} µs (min ${sorted[0]}, max ${sorted.at(-1)})\n`);
  client.close();
  proc.send("stop");
}

if (process.argv[2] === "child") await child();
else if (process.argv[2] === "store") await storeOnly();
else await main();
