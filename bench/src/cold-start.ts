// bench/cold-start: the first request to never-called functions, through the router, with a warm
// pool (specialize + response) and with pool size 0 (process spawn), beside the cost of spawning
// a bare node:http process measured in the same run. The same for Python (beside a bare python3
// http.server spawn) and exec functions.
import { spawn } from "node:child_process";
import { fizzOk, newStateDir, startPlatform } from "@fizz/e2e/platform";
import { percentile, round, writeResult } from "./common.js";

const N = Number(process.env.BENCH_COLD_N ?? 25);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function firstResponseMs(url: string): Promise<number> {
  const t = process.hrtime.bigint();
  const r = await fetch(url);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: status ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const BARE_NODE = [process.execPath, "-e", "require('http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})"];
const BARE_PYTHON = [
  process.env.FIZZ_PYTHON || "python3",
  "-c",
  "import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n def do_GET(s):\n  s.send_response(200);s.send_header('Content-Length','2');s.end_headers();s.wfile.write(b'ok')\n def log_message(s,*a):pass\n" +
    "s=h.HTTPServer(('127.0.0.1',0),H);print(s.server_address[1],flush=True);s.serve_forever()",
];

/** Spawn a bare HTTP server and get one response: the floor for "no pool". */
async function bareSpawnMs([cmd, ...args]: string[] = BARE_NODE): Promise<number> {
  const t = process.hrtime.bigint();
  const child = spawn(cmd!, args, {
    // The same clean environment the executor gives runtimes, so the two compare like for like.
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve) => child.stdout.once("data", (d) => resolve(String(d).trim())));
  const r = await fetch(`http://127.0.0.1:${port}/`);
  await r.text();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  child.kill();
  return ms;
}

const stats = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p90: round(percentile(xs, 90)), min: round(Math.min(...xs)), n: xs.length });

async function main() {
  const p = await startPlatform({ stateDir: newStateDir() });
  try {
    await fizzOk(p, ["env", "create", "--name", "warm", "--image", "nodejs", "--poolsize", "3"]);
    await fizzOk(p, ["env", "create", "--name", "nopool", "--image", "nodejs", "--poolsize", "0"]);
    for (const [env, image, pool] of [["pywarm", "python", "3"], ["pynopool", "python", "0"], ["shwarm", "exec", "3"], ["shnopool", "exec", "0"]] as const)
      await fizzOk(p, ["env", "create", "--name", env, "--image", image, "--poolsize", pool]);
    for (let i = 0; i < N; i++) {
      await fizzOk(p, ["fn", "create", "--name", `cw${i}`, "--env", "warm", "--code", "./greet.js"]);
      await fizzOk(p, ["fn", "create", "--name", `cn${i}`, "--env", "nopool", "--code", "./greet.js"]);
      await fizzOk(p, ["fn", "create", "--name", `pw${i}`, "--env", "pywarm", "--code", "./runtimes/hello.py"]);
      await fizzOk(p, ["fn", "create", "--name", `pn${i}`, "--env", "pynopool", "--code", "./runtimes/hello.py"]);
      await fizzOk(p, ["fn", "create", "--name", `sw${i}`, "--env", "shwarm", "--code", "./runtimes/echo.sh"]);
      await fizzOk(p, ["fn", "create", "--name", `sn${i}`, "--env", "shnopool", "--code", "./runtimes/echo.sh"]);
    }
    await sleep(1500);
    const warm: number[] = [];
    const cold: number[] = [];
    const bare: number[] = [];
    const py = { warm: [] as number[], cold: [] as number[], bare: [] as number[] };
    const sh = { warm: [] as number[], cold: [] as number[] };
    for (let i = 0; i < N; i++) {
      warm.push(await firstResponseMs(`${p.routerUrl}/fizz-function/cw${i}`));
      cold.push(await firstResponseMs(`${p.routerUrl}/fizz-function/cn${i}`));
      bare.push(await bareSpawnMs());
      py.warm.push(await firstResponseMs(`${p.routerUrl}/fizz-function/pw${i}`));
      py.cold.push(await firstResponseMs(`${p.routerUrl}/fizz-function/pn${i}`));
      py.bare.push(await bareSpawnMs(BARE_PYTHON));
      sh.warm.push(await firstResponseMs(`${p.routerUrl}/fizz-function/sw${i}`));
      sh.cold.push(await firstResponseMs(`${p.routerUrl}/fizz-function/sn${i}`));
      await sleep(1000); // let the pools refill, as they would between real first calls
    }
    const w = stats(warm);
    const c = stats(cold);
    const b = stats(bare);
    const pw = stats(py.warm);
    const pc = stats(py.cold);
    const pb = stats(py.bare);
    const sw = stats(sh.warm);
    const sc = stats(sh.cold);
    const row = (label: string, x: ReturnType<typeof stats>) => `| ${label} | ${x.p50} | ${x.p90} | ${x.min} | ${x.n} |`;
    writeResult(
      "cold-start",
      {
        warmPool: w,
        noPool: c,
        bareNodeSpawn: b,
        python: { warmPool: pw, noPool: pc, barePythonSpawn: pb },
        exec: { warmPool: sw, noPool: sc },
        targets: { warmPoolP50Ms: 15, noPoolP50Ms: 100 },
        fissionPublishedP50Ms: 110,
      },
      [
        "| first request to a never-called function | p50 ms | p90 ms | min ms | n |",
        "| --- | --- | --- | --- | --- |",
        `| warm pool (specialize + response) | ${w.p50} | ${w.p90} | ${w.min} | ${w.n} |`,
        `| pool size 0 (spawn + specialize + response) | ${c.p50} | ${c.p90} | ${c.min} | ${c.n} |`,
        `| baseline: spawn bare node:http + one response | ${b.p50} | ${b.p90} | ${b.min} | ${b.n} |`,
        "",
        `Warm-pool cold start p50 **${w.p50} ms** (target ≤ 15 ms; Fission's published figure ~110 ms: ${round(110 / w.p50, 1)}× faster).`,
        `No-pool cold start p50 **${c.p50} ms** (target ≤ 100 ms), ${round(c.p50 / b.p50, 2)}× a bare node process spawn.`,
        "",
        "Python (`def main()` reading Flask's `request`) and exec (a shell script; the runtime is a Node process that runs it per request):",
        "",
        "| first request to a never-called function | p50 ms | p90 ms | min ms | n |",
        "| --- | --- | --- | --- | --- |",
        row("python, warm pool", pw),
        row("python, pool size 0", pc),
        row("baseline: spawn bare python3 http.server + one response", pb),
        row("exec, warm pool", sw),
        row("exec, pool size 0", sc),
        "",
        `Python: warm pool p50 **${pw.p50} ms**; no pool ${round(pc.p50 / pb.p50, 2)}× a bare python3 spawn. ` +
          `Exec: warm pool p50 **${sw.p50} ms**; no pool ${round(sc.p50 / b.p50, 2)}× a bare node spawn.`,
      ].join("\n"),
    );
  } finally {
    await p.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
