// A second router process beside a running platform (routers are stateless: they watch the
// controller and ask the executor), started with its own environment — e.g. FIZZ_METRICS=off for
// the metrics on/off pair of bench/warm-path.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "@fizz/e2e/platform";
import { upAddresses } from "./platform-info.js";

export interface ExtraRouter {
  url: string;
  stop(): Promise<void>;
}

export async function startExtraRouter(platformStateDir: string, env: Record<string, string>): Promise<ExtraRouter> {
  const up = upAddresses(platformStateDir) as ReturnType<typeof upAddresses> & { recorder: string };
  // Its own state dir: async invocations are kept per router.
  const stateDir = mkdtempSync(join(tmpdir(), "fizz-bench-router-"));
  const proc: ChildProcess = fork(join(REPO, "services", "router", "dist", "main.js"), [], {
    env: { ...process.env, NODE_OPTIONS: "", FIZZ_LOG_LEVEL: "warn", FIZZ_ROUTER: "127.0.0.1:0", FIZZ_ADMIN: up.admin, FIZZ_EXECUTOR: up.executor, FIZZ_RECORDER: up.recorder, FIZZ_STATE_DIR: stateDir, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    proc.on("message", (m) => {
      const msg = m as { ready?: string; address?: string };
      if (msg.ready === "router" && msg.address) resolve(msg.address);
    });
    proc.once("exit", (code) => reject(new Error(`extra router exited (code ${code}) before it was ready`)));
  });
  return {
    url: `http://${address}`,
    async stop() {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
