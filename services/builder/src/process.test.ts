import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fork, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildStatus, createEnv, createSourcePackage, pidAlive, startPlatform, until, zipOf, type Platform } from "./__fixtures__/platform.js";

// The built entry point, as `fizz up` forks it (build first: npx tsc -b services/builder).
const main = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "main.js");

let p: Platform;
let child: ChildProcess | undefined;

beforeAll(async () => {
  p = await startPlatform();
  await createEnv(p.admin, "nodejs");
});

afterAll(async () => {
  if (child?.pid && pidAlive(child.pid)) child.kill("SIGKILL");
  await p?.close();
});

describe("builder process", () => {
  it("reports ready with its address over IPC, builds, and exits with its parent's channel", async () => {
    child = fork(main, [], {
      env: {
        ...process.env,
        FIZZ_BUILDER: "127.0.0.1:0",
        FIZZ_ADMIN: p.controller.address,
        FIZZ_STORAGE: p.storage.address,
        FIZZ_STATE_DIR: p.stateDir,
        FIZZ_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const ready = await new Promise<{ ready: string; address: string }>((resolve, reject) => {
      child!.once("message", (m) => resolve(m as { ready: string; address: string }));
      child!.once("exit", (code) => reject(new Error(`builder exited with ${code}`)));
    });
    expect(ready.ready).toBe("builder");
    expect(ready.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await fetch(`http://${ready.address}/healthz`)).status).toBe(200);

    // The test runner's NODE_OPTIONS reaches the builder process but not the build.
    expect(process.env.NODE_OPTIONS).toContain("--experimental-vm-modules");
    await createSourcePackage(p.admin, "forked", "nodejs", { type: "literal", literal: await zipOf({ "a.txt": "a" }) }, 'echo "opts=[${NODE_OPTIONS:-}]"; cp a.txt "$DEPLOY_PKG/"');
    const pkg = await buildStatus(p.admin, "forked", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(pkg.status?.buildlog).toContain("opts=[]\n");

    const exited = new Promise((r) => child!.once("exit", r));
    child.disconnect();
    await exited;
    await until("builder gone", () => !pidAlive(child!.pid!), 5000);
  });
});
