// A real Prometheus (the Debian package, scripts/install-deps.sh) for tests: its own temp config
// and TSDB, an ephemeral port, scraping the given targets every second.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Prometheus {
  url: string;
  /** Resolves once every target has been scraped successfully at least once. */
  scraped(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const BINARY = process.env.FIZZ_PROMETHEUS_BIN ?? "prometheus";

/** Fails (never skips) when Prometheus is not installed: the canary's PromQL path must be tested. */
export async function startPrometheus(targets: string[], scrapeInterval = "1s"): Promise<Prometheus> {
  if (spawnSync(BINARY, ["--version"]).status !== 0)
    throw new Error(`"${BINARY}" not found: install it with scripts/install-deps.sh (apt-get install prometheus) or set FIZZ_PROMETHEUS_BIN`);
  const dir = await mkdtemp(join(tmpdir(), "fizz-prometheus-"));
  const hostPorts = targets.map((t) => t.replace(/^https?:\/\//, "").replace(/\/.*$/, ""));
  const config = [
    "global:",
    `  scrape_interval: ${scrapeInterval}`,
    `  evaluation_interval: ${scrapeInterval}`,
    "scrape_configs:",
    "  - job_name: fizz",
    "    metrics_path: /metrics",
    "    static_configs:",
    `      - targets: ${JSON.stringify(hostPorts)}`,
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(
    BINARY,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  proc.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => proc.once("exit", r));
  const close = async () => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await poll(proc, `Prometheus ready at ${url}`, 30_000, async () => (await fetch(`${url}/-/ready`)).ok, () => log);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url,
    close,
    scraped: (timeoutMs = 30_000) =>
      poll(proc, `every target scraped (${hostPorts.join(", ")})`, timeoutMs, async () => {
        const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string }> } };
        const t = body.data.activeTargets;
        return t.length === hostPorts.length && t.every((x) => x.health === "up");
      }, () => log),
  };
}

/** Prometheus offers no event for these: ask every 200 ms, up to the deadline. */
async function poll(proc: ChildProcess, what: string, timeoutMs: number, check: () => Promise<boolean>, log: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited (${proc.exitCode}) before ${what}:\n${log()}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${log()}`);
    await sleep(200);
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
