// FunctionLogs end to end inside the executor: real runtimes print, the executor keeps their
// lines per function, and the gRPC stream reads, filters and follows them.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { FizzError } from "@fizz/common";
import { executorClient } from "@fizz/clients";
import { Kind, type LogLine } from "@fizz/proto";
import { createEnv, createFunction, createPackage, instances, startPlatform, until, zip, type Platform } from "./__fixtures__/platform.js";

const BUDGET = 128 * 1024;
let p: Platform;
const ref = (name: string) => ({ name, namespace: "default" });

// Prints what the query asks for: ?out=..&err=..&many=N
const PRINTER = `
console.log("loading " + __filename.split("/").slice(-1)[0]);
module.exports = async (context) => {
  const q = context.request.query;
  if (q.out) console.log(q.out);
  if (q.err) console.error(q.err);
  for (let i = 0; i < Number(q.many || 0); i++) console.log("line " + String(i).padStart(5, "0") + " " + "x".repeat(200));
  return { status: 200, body: "ok" };
};
`;

async function printer(name: string, spec: Record<string, unknown> = {}) {
  await createPackage(p.admin, `${name}-pkg`, "nodejs", { type: "literal", literal: zip({ "index.js": PRINTER }) });
  await createFunction(p.admin, name, "nodejs", `${name}-pkg`, spec);
}

async function call(address: string, query: Record<string, string>) {
  const res = await fetch(`http://${address}/?${new URLSearchParams(query)}`);
  expect(res.status).toBe(200);
  await res.text();
}

async function logs(name: string, req: { sinceMs?: bigint; tail?: number } = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of p.exec.functionLogs({ function: ref(name), ...req })) out.push(l);
  return out;
}

/** The function's log once it has a line with `text` (runtimes print asynchronously to us). */
const logsWith = (name: string, text: string) => until(`"${text}" in ${name}'s log`, async () => ((await logs(name)).some((l) => l.text === text) ? logs(name) : false));

beforeAll(async () => {
  p = await startPlatform({ FIZZ_FUNCTION_LOG_MAX_BYTES: String(BUDGET) });
  await createEnv(p.admin, "nodejs", 1);
});

afterAll(() => p?.close());

describe("function logs", () => {
  it("delivers what a function prints with its instance id, stream and time, from loading on", async () => {
    await printer("hello");
    const before = Date.now();
    const svc = await p.exec.getServiceForFunction({ function: ref("hello") });
    await call(svc.address, { out: "hello from console.log", err: "trouble on console.error" });
    const lines = await logsWith("hello", "trouble on console.error");
    expect(lines.map((l) => [l.instanceId, l.stream, l.text])).toEqual([
      [svc.instanceId, "stdout", "loading index.js"],
      [svc.instanceId, "stdout", "hello from console.log"],
      [svc.instanceId, "stderr", "trouble on console.error"],
    ]);
    for (const l of lines) expect(Number(l.timeMs)).toBeGreaterThanOrEqual(before - 5);
    expect(Number(lines.at(-1)!.timeMs)).toBeLessThanOrEqual(Date.now());
    // The runtime's own startup line stays with the environment's warm pool.
    expect(lines.some((l) => l.text.includes("listening"))).toBe(false);
  });

  it("filters by time and keeps the last N lines", async () => {
    const svc = await p.exec.getServiceForFunction({ function: ref("hello") });
    const cut = Date.now() + 1;
    await until("a new millisecond", () => Date.now() > cut);
    await call(svc.address, { out: "later 1" });
    await call(svc.address, { out: "later 2" });
    await logsWith("hello", "later 2");
    expect((await logs("hello", { sinceMs: BigInt(cut) })).map((l) => l.text)).toEqual(["later 1", "later 2"]);
    expect((await logs("hello", { tail: 2 })).map((l) => l.text)).toEqual(["later 1", "later 2"]);
    expect((await logs("hello", { tail: 1, sinceMs: BigInt(cut) })).map((l) => l.text)).toEqual(["later 2"]);
    expect(await logs("hello", { sinceMs: BigInt(Date.now() + 60_000) })).toEqual([]);
  });

  it("follows: sends the backlog, streams new lines as they are written, and ends when the client cancels", async () => {
    const svc = await p.exec.getServiceForFunction({ function: ref("hello") });
    const ac = new AbortController();
    const it = p.exec.functionLogs({ function: ref("hello"), follow: true, tail: 1 }, { signal: ac.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value?.text).toBe("later 2");
    await until("the follower registered", () => p.executor.logStore!.followers("default/hello") === 1);
    await call(svc.address, { out: "live 1", err: "live 2" });
    const live = [(await it.next()).value, (await it.next()).value] as LogLine[];
    expect(live.map((l) => [l.stream, l.text, l.instanceId])).toEqual([
      ["stdout", "live 1", svc.instanceId],
      ["stderr", "live 2", svc.instanceId],
    ]);
    const pending = it.next();
    ac.abort();
    expect((await pending).done).toBe(true);
    await until("the executor dropped the follower", () => p.executor.logStore!.followers("default/hello") === 0);
  });

  it("keeps a function's logs after its instance is gone", async () => {
    await printer("brief", { idletimeout: 1 });
    const svc = await p.exec.getServiceForFunction({ function: ref("brief") });
    await call(svc.address, { out: "said before going idle" });
    await until("idle instance reaped", async () => (await instances(p.exec, (i) => i.id === svc.instanceId)).length === 0);
    const lines = await logs("brief");
    expect(lines.map((l) => [l.instanceId, l.text])).toContainEqual([svc.instanceId, "said before going idle"]);
  });

  it("interleaves the lines of concurrent instances of one function by time", async () => {
    await printer("twins", { concurrency: 2 });
    const a = await p.exec.getServiceForFunction({ function: ref("twins") });
    const b = await p.exec.getServiceForFunction({ function: ref("twins"), busyAddresses: [a.address] });
    expect(b.instanceId).not.toBe(a.instanceId);
    // One at a time: each line is in the log before the other instance prints.
    for (const [svc, text] of [[a, "a1"], [b, "b1"], [a, "a2"], [b, "b2"]] as const) {
      await call(svc.address, { out: text });
      await logsWith("twins", text);
    }
    // And both at once.
    await Promise.all([call(a.address, { many: "150" }), call(b.address, { many: "150" })]);
    const lines = await until("300 lines", async () => {
      const l = await logs("twins");
      return l.filter((x) => x.text.startsWith("line ")).length === 300 && l;
    });
    const mine = lines.filter((l) => /^[ab]\d$/.test(l.text));
    expect(mine.map((l) => [l.text, l.instanceId])).toEqual([
      ["a1", a.instanceId],
      ["b1", b.instanceId],
      ["a2", a.instanceId],
      ["b2", b.instanceId],
    ]);
    const times = lines.map((l) => Number(l.timeMs));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    for (const svc of [a, b]) expect(lines.filter((l) => l.instanceId === svc.instanceId && l.text.startsWith("line ")).length).toBe(150);
  });

  it("bounds a chatty function's log on disk, keeping the newest lines", async () => {
    await printer("chatty");
    const svc = await p.exec.getServiceForFunction({ function: ref("chatty") });
    await call(svc.address, { many: "3000" }); // ~650 KiB, five times the budget
    const lines = await until("the last line", async () => {
      const l = await logs("chatty");
      return l.at(-1)?.text.startsWith("line 02999") && l;
    });
    const dir = join(p.stateDir, "logs", "default", "chatty");
    const used = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(used).toBeLessThanOrEqual(BUDGET + 64 * 1024); // plus at most one pipe chunk
    expect(used).toBeGreaterThan(BUDGET / 2);
    expect(lines.some((l) => l.text.startsWith("line 00000"))).toBe(false);
  });

  it("answers NOT_FOUND for an unknown function", async () => {
    const err = (await logs("nope").catch((e) => e)) as FizzError;
    expect(err).toBeInstanceOf(FizzError);
    expect(err).toMatchObject({ code: "NOT_FOUND" });
    expect(err.message).toMatch(/function "nope" not found/);
  });

  it("ends followers and deletes the logs when the function is deleted", async () => {
    const dir = join(p.stateDir, "logs", "default", "brief");
    expect(existsSync(dir)).toBe(true);
    const it = p.exec.functionLogs({ function: ref("brief"), follow: true })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await p.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "brief" });
    for (let r = await it.next(); !r.done; r = await it.next());
    await until("logs removed", () => !existsSync(dir));
    expect((await logs("brief").catch((e) => e)).code).toBe("NOT_FOUND");
  });

  it("keeps logs across an executor restart and prunes those of functions deleted meanwhile", async () => {
    await p.executor.stop();
    await p.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "chatty" });
    p.exec.close();
    p.executor = p.newExecutor();
    await p.executor.start();
    p.exec = executorClient(p.executor.address!);
    expect((await logs("hello")).map((l) => l.text)).toContain("hello from console.log");
    expect(existsSync(join(p.stateDir, "logs", "default", "chatty"))).toBe(false);
  });
});
