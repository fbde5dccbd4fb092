// Micro-benchmark of the router's recorded path: the real Proxy and fastify front in a child
// process, a plain HTTP upstream in another, the load generator here. The shipper's sink is a
// stand-in that accepts every batch, so what is measured is the router's own per-request cost:
// CPU µs per request (the router child's process.cpuUsage) for an unrecorded and a recorded route,
// in ABBA rounds. BENCH_CPU_PROF=<dir> runs the router child under --cpu-prof for profiles,
// BENCH_NODE_ARGS passes node options to it (e.g. --trace-gc).
// Usage: node dist/record-path.js [seconds per phase] [rounds]
import { fork, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { load, round } from "./common.js";

const ROLE = process.argv[2];
const BODY = JSON.stringify({ message: "hello, world", from: "greet" });

/** Like the nodejs runtime's greet: a small JSON body and a few headers. */
function upstream(): void {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => process.send!({ address: `127.0.0.1:${(server.address() as AddressInfo).port}` }));
}

async function router(upAddr: string): Promise<void> {
  const { create } = await import("@bufbuild/protobuf");
  const { FunctionSchema, HTTPTriggerSchema, RecorderSchema } = await import("@fizz/proto");
  const { silentLogger } = await import("@fizz/common");
  // BENCH_ROUTER_DIR: another build of services/router to compare with (one with static-front).
  const dir = process.env.BENCH_ROUTER_DIR;
  const mod = <T>(m: string): Promise<T> => (dir ? import(`${dir}/dist/${m}.js`) : import(`@fizz/router/${m}`)) as Promise<T>;
  const { RouteTable } = await mod<typeof import("@fizz/router")>("index");
  const { staticFront } = await mod<typeof import("@fizz/router/static-front")>("static-front");
  const { RecorderIndex } = await mod<typeof import("@fizz/router/recording/selector")>("recording/selector");
  const { Shipper } = await mod<typeof import("@fizz/router/recording/shipper")>("recording/shipper");

  const fns = ["plain", "recorded"].map((name) => create(FunctionSchema, { metadata: { name, namespace: "default", resourceVersion: "1" } }));
  const trig = (name: string) => create(HTTPTriggerSchema, { metadata: { name, namespace: "default" }, spec: { functionref: { name }, relativeurl: `/${name}` } });
  const table = RouteTable.build([trig("plain"), trig("recorded")], fns);
  const recorders = RecorderIndex.build([
    create(RecorderSchema, { metadata: { name: "all", namespace: "default" }, spec: { enabled: true, function: "recorded", sampleRate: 1, retention: "10m" } }),
  ]);
  let shipped = 0;
  // The recorder stand-in: takes the encoded batch and answers at once.
  const sink = { storeBatch: async () => ({}) as never, callRaw: async (_m: string, bytes: Uint8Array) => void (shipped += bytes.length) };
  const shipper = new Shipper(sink as never, silentLogger);
  shipper.start();
  const front = await staticFront({ table, address: () => upAddr, recorders, shipper });
  process.on("message", (m: { cpu?: boolean; stop?: boolean }) => {
    if (m.cpu) process.send!({ cpu: process.cpuUsage(), stats: shipper.snapshot(), shippedBytes: shipped });
    // Exits through process.exit so --cpu-prof writes its profile.
    if (m.stop) void front.close().finally(() => process.exit(0));
  });
  process.send!({ address: new URL(front.base).host });
}

interface Reply {
  address?: string;
  cpu?: NodeJS.CpuUsage;
  stats?: { recorded: number; shipped: number; droppedRecords: number };
}

function start(role: string, arg: string, execArgv: string[] = []): Promise<{ proc: ChildProcess; address: string }> {
  const proc = fork(fileURLToPath(import.meta.url), [role, arg], { execArgv, env: { ...process.env, NODE_OPTIONS: "" } });
  return new Promise((resolve, reject) => {
    proc.once("message", (m: Reply) => resolve({ proc, address: m.address! }));
    proc.once("exit", (code) => reject(new Error(`${role} exited (code ${code}) before it was ready`)));
  });
}

const ask = (proc: ChildProcess): Promise<Reply> =>
  new Promise((resolve) => {
    proc.once("message", resolve);
    proc.send({ cpu: true });
  });

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 4);
  const up = await start("upstream", "");
  const prof = process.env.BENCH_CPU_PROF;
  // With a profile, one phase only (BENCH_ONLY=plain|recorded) so profiles of the two compare.
  const only = process.env.BENCH_ONLY;
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const rt = await start("router", up.address, [...nodeArgs, ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [])]);
  try {
    const base = `http://${rt.address}`;
    if (only !== "recorded") await load(`${base}/plain`, 50, 2);
    if (only !== "plain") await load(`${base}/recorded`, 50, 2);
    const us: Record<string, number[]> = { plain: [], recorded: [] };
    const rps: Record<string, number[]> = { plain: [], recorded: [] };
    for (let i = 0; i < rounds; i++) {
      for (const ph of i % 2 === 0 ? ["plain", "recorded"] : ["recorded", "plain"]) {
        if (only && ph !== only) continue;
        const before = (await ask(rt.proc)).cpu!;
        const r = await load(`${base}/${ph}`, 50, seconds);
        const after = (await ask(rt.proc)).cpu!;
        const cpuUs = after.user - before.user + after.system - before.system;
        us[ph]!.push(round(cpuUs / (r.rps * seconds), 1));
        rps[ph]!.push(r.rps);
      }
      if (!only) process.stdout.write(`round ${i + 1}: router µs/request plain ${us.plain![i]}, recorded ${us.recorded![i]}\n`);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const stats = (await ask(rt.proc)).stats!;
    process.stdout.write(
      `router CPU µs/request (median of ${rounds}): plain ${med(us.plain!)} [${us.plain!.join(", ")}], ` +
        `recorded ${med(us.recorded!)} [${us.recorded!.join(", ")}], added ${round(med(us.recorded!) - med(us.plain!), 1)}\n` +
        `req/s (median): plain ${med(rps.plain!)}, recorded ${med(rps.recorded!)}; records ${stats.recorded}, dropped ${stats.droppedRecords}\n`,
    );
  } finally {
    const exited = (p: ChildProcess) => new Promise((r) => p.once("exit", r));
    const e = exited(rt.proc);
    rt.proc.send({ stop: true });
    await e;
    up.proc.kill();
  }
}

if (ROLE === "upstream") upstream();
else if (ROLE === "router") void router(process.argv[3]!);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
