import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { NODE_ARGS } from "@fizz/common";
import { REPO_ROOT } from "../paths.js";
import { dialable } from "../commands/up.js";
import { parseLogLine } from "./logs.js";
import { StartError, Supervisor } from "./supervisor.js";

const FAKE = join(REPO_ROOT, "cli", "src", "__fixtures__", "fake-service.mjs");
const env = (mode: string, name: string) => ({ ...process.env, NODE_OPTIONS: "", FAKE_MODE: mode, FAKE_NAME: name });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("Supervisor", () => {
  it("starts services, prefixes their output, and stops them", async () => {
    const lines: string[] = [];
    const sup = new Supervisor(() => FAKE, (l) => lines.push(l));
    const a = await sup.start("alpha", env("ok", "alpha"));
    expect(a.address).toBe("127.0.0.1:1234");
    await sup.start("beta", env("ok", "beta"));
    const pids = sup.pids;
    await sup.stopAll(2000);
    expect(pids.every((p) => !alive(p))).toBe(true);
    expect(lines).toContain("[alpha] INFO alpha starting");
  });

  it("starts a service with its NODE_ARGS (the recorder's heap size), others with none", async () => {
    const lines: string[] = [];
    const sup = new Supervisor(() => FAKE, (l) => lines.push(l));
    await sup.start("recorder", env("ok", "recorder"));
    await sup.start("timer", env("ok", "timer"));
    await sup.stopAll(2000);
    expect(NODE_ARGS.timer).toBeUndefined();
    expect(lines).toContain(`[recorder] INFO recorder starting ${NODE_ARGS.recorder!.join(" ")}`);
    expect(lines).toContain("[timer] INFO timer starting");
  });

  it("explains a service that exits before it is ready", async () => {
    const sup = new Supervisor(() => FAKE, () => undefined);
    const err = await sup.start("router", env("crash", "router")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).svc).toBe("router");
    expect((err as Error).message).toMatch(/exited before it was ready \(code 1\): listen EADDRINUSE/);
  });

  it("says when a service is not built", async () => {
    const sup = new Supervisor(() => "/no/such/main.js", () => undefined);
    await expect(sup.start("storage", env("ok", "storage"))).rejects.toThrow(/\/no\/such\/main.js is missing; build it first/);
  });

  it("kills a service that ignores SIGTERM after the grace period", async () => {
    const lines: string[] = [];
    const sup = new Supervisor(() => FAKE, (l) => lines.push(l));
    await sup.start("executor", env("stubborn", "executor"));
    const [pid] = sup.pids;
    const began = Date.now();
    await sup.stopAll(300);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(alive(pid!)).toBe(false);
    expect(lines.some((l) => /executor did not stop within 0.3 s; killing it/.test(l))).toBe(true);
  });

  it("reports a service that dies while up", async () => {
    const sup = new Supervisor(() => FAKE, () => undefined);
    const died = new Promise<string>((resolve) => (sup.onUnexpectedExit = (svc, why) => resolve(`${svc}: ${why}`)));
    await sup.start("storage", env("ok", "storage"));
    process.kill(sup.pids[0]!, "SIGKILL");
    expect(await died).toBe("storage: killed by SIGKILL");
    await sup.stopAll(1000);
  });
});

describe("log lines", () => {
  it("shortens pino JSON to level and message, keeping the error", () => {
    expect(parseLogLine('{"level":30,"time":1,"msg":"router serving"}')).toEqual({ text: "INFO router serving", level: 30 });
    const fatal = parseLogLine('{"level":60,"msg":"failed to start","err":{"message":"EADDRINUSE"}}');
    expect(fatal.text).toBe("FATAL failed to start: EADDRINUSE");
    expect(fatal.problem).toBe("EADDRINUSE");
    expect(parseLogLine("plain {text}")).toEqual({ text: "plain {text}" });
    expect(parseLogLine("{not json")).toEqual({ text: "{not json" });
  });

  it("makes bound addresses dialable", () => {
    expect(dialable("0.0.0.0:8888")).toBe("127.0.0.1:8888");
    expect(dialable("[::]:9090")).toBe("127.0.0.1:9090");
    expect(dialable("127.0.0.1:9090")).toBe("127.0.0.1:9090");
  });
});
