// `fizz up` as a process: state survives a restart, Ctrl-C leaves nothing running, and the CLI
// says clearly when the platform is not there.
import { describe, expect, it } from "@jest/globals";
import { alive, descendants, eventually, fizz, fizzOk, get, newStateDir, startPlatform } from "./platform.js";

describe("fizz up", () => {
  it("serves functions created before a restart, and leaves no process behind on Ctrl-C", async () => {
    const stateDir = newStateDir();
    const first = await startPlatform({ stateDir });
    await fizzOk(first, ["fn", "create", "--name", "keeper", "--env", "nodejs", "--code", "./greet.js", "--url", "/keeper"]);
    expect((await get(`${first.routerUrl}/keeper`)).body).toBe("hello v1\n");

    const procs = descendants(first.proc.pid!);
    expect(procs.length).toBeGreaterThanOrEqual(4 + 3); // four services and a warm pool
    expect(await first.stop("SIGINT")).toBe(0);
    await eventually(() => procs.every((pid) => !alive(pid)), 8000);

    const second = await startPlatform({ stateDir });
    try {
      expect((await get(`${second.routerUrl}/keeper`)).body).toBe("hello v1\n");
      expect((await get(`${second.routerUrl}/hello`)).status).toBe(200);
      expect(await fizzOk(second, ["fn", "list"])).toMatch(/keeper/);
    } finally {
      await second.stop();
    }
  }, 90_000);

  it("tells the user when the admin API cannot be reached", async () => {
    const r = await fizz({ ...process.env, NODE_OPTIONS: "", FIZZ_ADMIN: "127.0.0.1:1" }, ["fn", "list"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the admin API at 127\.0\.0\.1:1/);
  });

  it("fails clearly when its router port is taken", async () => {
    const blocker = await startPlatform();
    try {
      const port = new URL(blocker.routerUrl).port;
      const clash = startPlatform({ env: { FIZZ_ROUTER: `127.0.0.1:${port}` }, timeoutMs: 20_000 });
      await expect(clash).rejects.toThrow(/exited with 1[\s\S]*router/);
    } finally {
      await blocker.stop();
    }
  }, 60_000);
});
