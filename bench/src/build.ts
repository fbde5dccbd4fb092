// bench/build: from `fizz fn create --src DIR` to the first 200 through the router, for a Node.js
// function with one npm dependency (the builder runs `npm install`) and one with none (the
// build only copies the source). The clock starts before the CLI is spawned and stops at the
// first 200, so it covers packaging, the build, specializing and the first request.
import { fizzOk, newStateDir, startPlatform, type Platform } from "@fizz/e2e/platform";
import { percentile, round, writeResult } from "./common.js";

const RUNS = Number(process.env.BENCH_BUILD_N ?? 3);
const TIMEOUT_MS = 120_000;

interface Case {
  key: "oneDependency" | "noDependencies";
  label: string;
  dir: string;
  entrypoint?: string;
}

const CASES: Case[] = [
  { key: "oneDependency", label: "one dependency (is-number, npm install)", dir: "./builds/isnum", entrypoint: "index.handler" },
  { key: "noDependencies", label: "no dependencies (copy only)", dir: "./builds/plain" },
];

async function firstOk(url: string, started: bigint): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const r = await fetch(url).catch(() => undefined);
    if (r) await r.arrayBuffer();
    if (r?.status === 200) return Number(process.hrtime.bigint() - started) / 1e6;
    if (Date.now() > deadline) throw new Error(`${url}: no 200 within ${TIMEOUT_MS / 1000}s (last status ${r?.status ?? "none"})`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

async function measure(p: Platform, c: Case, run: number): Promise<number> {
  const name = `b-${c.key.toLowerCase()}-${run}`;
  const args = ["fn", "create", "--name", name, "--env", "nodejs", "--src", c.dir, "--url", `/${name}`];
  if (c.entrypoint) args.push("--entrypoint", c.entrypoint);
  const started = process.hrtime.bigint();
  await fizzOk(p, args);
  return firstOk(`${p.routerUrl}/${name}`, started);
}

async function main() {
  const p = await startPlatform({ stateDir: newStateDir() });
  try {
    const results: Record<string, { runsMs: number[]; p50: number }> = {};
    for (const c of CASES) {
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(round(await measure(p, c, i), 1));
      results[c.key] = { runsMs: runs, p50: round(percentile(runs, 50), 1) };
    }
    const dep = results.oneDependency!;
    const none = results.noDependencies!;
    writeResult("build", { runs: RUNS, ...results }, [
      "| `fn create --src` → first 200 | p50 ms | each run, ms |",
      "| --- | --- | --- |",
      ...CASES.map((c) => `| ${c.label} | ${results[c.key]!.p50} | ${results[c.key]!.runsMs.join(", ")} |`),
      "",
      `A build with one npm dependency reaches its first 200 in **${dep.p50} ms** (p50 of ${RUNS}); without dependencies **${none.p50} ms**,`,
      `so \`npm install\` accounts for about ${round(dep.p50 - none.p50, 0)} ms. Runs after the first use npm's local cache.`,
    ].join("\n"));
  } finally {
    await p.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
