// Process-backend specifics; what every backend does is in the executor contract suite.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { executorClient } from "@fizz/clients";
import { builtinRuntimes } from "./config.js";
import { createEnv, deploy, httpGet, instances, pidAlive, startPlatform, until, warmOf, type Platform } from "./__fixtures__/platform.js";

let p: Platform;
const ref = (name: string) => ({ function: { name, namespace: "default" } });
const warm = () => instances(p.exec, warmOf("nodejs"));

beforeAll(async () => {
  p = await startPlatform();
  await createEnv(p.admin, "nodejs", 2);
  await deploy(p.admin, "crashy", "nodejs", "crashy");
});

afterAll(() => p?.close());

describe("executor instance lifecycle", () => {
  it("refills the pool when a warm instance crashes", async () => {
    const before = await until("2 warm", async () => ((await warm()).length === 2 ? warm() : false));
    process.kill(before[0]!.pid, "SIGKILL");
    await until("dead warm instance replaced", async () => {
      const now = await warm();
      return now.length === 2 && !now.some((i) => i.id === before[0]!.id);
    });
  });

  it("replaces an instance reported unreachable only when it is really dead", async () => {
    const a = await p.exec.getServiceForFunction(ref("crashy"));
    await p.exec.reportUnreachable({ ...ref("crashy"), address: a.address });
    expect((await p.exec.getServiceForFunction(ref("crashy"))).address).toBe(a.address);
    const [inst] = await instances(p.exec, (i) => i.id === a.instanceId);
    process.kill(inst!.pid, "SIGSTOP"); // alive but not answering
    try {
      await p.exec.reportUnreachable({ ...ref("crashy"), address: a.address });
      const b = await p.exec.getServiceForFunction(ref("crashy"));
      expect(b.address).not.toBe(a.address);
    } finally {
      if (pidAlive(inst!.pid)) process.kill(inst!.pid, "SIGCONT");
    }
  });

  it("stops every runtime process on stop, and kills orphans from a previous run on start", async () => {
    await until("2 warm", async () => (await warm()).length === 2);
    const pids = (await instances(p.exec)).map((i) => i.pid);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await p.executor.stop();
    expect(pids.filter(pidAlive)).toEqual([]);

    // An orphan as a crashed executor leaves it: a live runtime recorded in pids.json.
    const { nodejs } = builtinRuntimes();
    const orphan = fork(nodejs!.script, [], { env: { PORT: "0", HOST: "127.0.0.1" }, stdio: "ignore", execArgv: [] });
    await new Promise((r) => orphan.once("message", r));
    await mkdir(join(p.stateDir, "executor"), { recursive: true });
    await writeFile(join(p.stateDir, "executor", "pids.json"), JSON.stringify({ instances: [{ id: "nodejs-old", pid: orphan.pid, script: nodejs!.script }] }));
    await mkdir(join(p.stateDir, "instances", "nodejs-old"), { recursive: true });

    const exited = new Promise((r) => orphan.once("exit", r));
    p.executor = p.newExecutor();
    await p.executor.start();
    await exited;
    expect(existsSync(join(p.stateDir, "instances", "nodejs-old"))).toBe(false);
    p.exec.close();
    p.exec = executorClient(p.executor.address!);
    const r = await p.exec.getServiceForFunction(ref("crashy"));
    expect(await httpGet(r.address)).toEqual({ status: 200, body: "crashy" });
  });
});
