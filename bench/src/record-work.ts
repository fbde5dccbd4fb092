// Micro-benchmark of the work the router does per recorded request, in process and without I/O:
// the Recording, the upstream head and one body chunk, finish(), and encoding into the open
// batch (BatchWriter, as Shipper.push does). Headers are shaped like bench/record-overhead's
// (autocannon's request, the nodejs runtime's response). BENCH_ROUTER_DIR compares another build
// of services/router (e.g. an older commit's, built elsewhere).
// Usage: node dist/record-work.js [requests per sample]
import { round } from "./common.js";

type Recordings = typeof import("@fizz/router/recording/recording");
type Encode = typeof import("@fizz/router/recording/encode");

const dir = process.env.BENCH_ROUTER_DIR;
const mod = <T>(m: string): Promise<T> => (dir ? import(`${dir}/dist/${m}.js`) : import(`@fizz/router/${m}`)) as Promise<T>;
const { Recording } = await mod<Recordings>("recording/recording");
const { BatchWriter } = await mod<Encode>("recording/encode");

const info = { name: "all", namespace: "default", rate: 1, maxBodyBytes: 65536, redact: new Set(["authorization", "cookie", "set-cookie"]), retentionSeconds: 600 };
const fn = { name: "recorded", namespace: "default" } as never;
const requestHeaders = { host: "127.0.0.1:34567", connection: "keep-alive", "user-agent": "autocannon" };
const responseHeaders = { "content-type": "application/json; charset=utf-8", "content-length": "47", date: "Wed, 25 Nov 2026 00:13:09 GMT", connection: "keep-alive", "keep-alive": "timeout=5" };
const chunk = Buffer.from(JSON.stringify({ message: "hello, world", from: "greet" }));

const w = new BatchWriter();
let n = 0;
function one(): void {
  const r = new Recording(info, `mfu2x1k3abcd-${(++n).toString(36)}`, fn, "default/recorded", "GET", "/recorded", requestHeaders);
  r.onHead(200, responseHeaders);
  // Builds before this one took chunks through `response`, a BodyCopy.
  const old = r as unknown as { onData?: (c: Buffer) => void; response: { add(c: Buffer): void } };
  if (old.onData) old.onData(chunk);
  else old.response.add(chunk);
  w.add(r.finish(200));
  if (w.bytes > 4 << 20) w.take(); // a batch shipped
}

const per = Number(process.argv[2] ?? 200_000);
for (let i = 0; i < per; i++) one(); // warm-up: optimised code only
const samples: number[] = [];
for (let k = 0; k < 7; k++) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < per; i++) one();
  samples.push(Number(process.hrtime.bigint() - t) / per / 1000);
}
samples.sort((a, b) => a - b);
process.stdout.write(`µs per recorded request: median ${round(samples[3]!, 2)}, min ${round(samples[0]!, 2)}, max ${round(samples[6]!, 2)}\n`);
