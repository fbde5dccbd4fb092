// Shared by the benchmarks: load generation, percentiles, and result files the README links.
import autocannon from "autocannon";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { REPO } from "@fizz/e2e/platform";

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** autocannon against url; any error or non-2xx fails the benchmark rather than flattering it. */
export async function load(url: string, connections: number, seconds: number): Promise<Load> {
  const r = await autocannon({ url, connections, duration: seconds });
  const errors = r.errors + r.non2xx + r.timeouts;
  if (errors > 0) throw new Error(`${url}: ${errors} failed requests under load`);
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors };
}

/** Sequential requests, one at a time: per-request latency in ms with high resolution. */
export async function sequentialLatency(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = await fetch(url);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${url}: status ${r.status}`);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export const RESULTS_DIR = join(REPO, "bench", "results");

/** Writes bench/results/<name>.json and .md; the README links the .md files. */
export function writeResult(name: string, data: object, markdown: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const meta = { when: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model };
  writeFileSync(join(RESULTS_DIR, `${name}.json`), JSON.stringify({ ...meta, ...data }, null, 2) + "\n");
  writeFileSync(
    join(RESULTS_DIR, `${name}.md`),
    `# ${name}\n\nMeasured ${meta.when} on ${meta.cpus} × ${meta.cpu}, Node ${meta.node}.\n\n${markdown}\n`,
  );
  process.stdout.write(`\n${markdown}\n\nwritten to bench/results/${name}.md\n`);
}
