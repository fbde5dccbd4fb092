import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatLine, parseLines, type LogRecord } from "./format.js";
import { MAX_LINE_BYTES, STDERR, STDOUT } from "./instance-output.js";
import { silentLogger } from "@fizz/common";
import { CURRENT, LogFile, ROTATED } from "./log-file.js";
import { LogStore } from "./log-store.js";

let dir: string;
let store: LogStore;
const MB = 1024 * 1024;
const fnDir = (name: string) => join(dir, "default", name);
const texts = (rs: LogRecord[]) => rs.map((r) => r.text);

/** The next `n` records a follower yields (or fewer if it ends). */
async function take(it: AsyncIterator<LogRecord>, n: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fizz-logs-"));
  store = new LogStore({ dir, maxBytes: MB });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("LogFile", () => {
  it("serves a snapshot asked for while the writer is closing the file (the last instance just left)", async () => {
    const file = new LogFile(join(dir, "f"), 1 << 20, silentLogger);
    const internals = file as unknown as { closeFile(): Promise<void> };
    const close = internals.closeFile.bind(file);
    let late: Promise<Buffer> | undefined;
    // A reader arrives exactly while the pump awaits the close: the pump has already seen an empty queue.
    internals.closeFile = async () => {
      late ??= file.snapshot();
      await close();
    };
    file.attach();
    file.append(Buffer.from("a\n"));
    file.detach();
    await file.flush();
    const never = new Promise<string>((r) => setTimeout(() => r("never resolved"), 2000).unref());
    expect(await Promise.race([late!.then((b) => b.toString()), never])).toBe("a\n");
  });
});

describe("LogStore", () => {
  it("stamps each line with time, instance and stream, and holds a partial line until its newline or exit", async () => {
    const before = Date.now();
    const out = store.instance("node-aaaa", "default/node");
    store.assign("node-aaaa", "default/hello");
    out.write(STDOUT, Buffer.from("one\ntw"));
    out.write(STDERR, Buffer.from("bad thing\r\n"));
    out.write(STDOUT, Buffer.from("o\nthree\n\nunfinished"));
    expect(texts(await store.read("default/hello"))).toEqual(["one", "bad thing", "two", "three", ""]);
    out.close();
    const lines = await store.read("default/hello");
    expect(texts(lines)).toEqual(["one", "bad thing", "two", "three", "", "unfinished"]);
    expect(lines.map((l) => l.stream)).toEqual(["stdout", "stderr", "stdout", "stdout", "stdout", "stdout"]);
    expect(lines.every((l) => l.instanceId === "node-aaaa" && l.timeMs >= before && l.timeMs <= Date.now())).toBe(true);
    // Plain text on disk, readable without Fizz.
    expect(readFileSync(join(fnDir("hello"), CURRENT), "utf8")).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z node-aaaa out one\n/);
  });

  it("keeps warm output in the environment's log and moves an instance's output to its function", async () => {
    const out = store.instance("node-bbbb", "default/node");
    out.write(STDOUT, Buffer.from("listening on 127.0.0.1:1\nhalf "));
    store.assign("node-bbbb", "default/fn1");
    out.write(STDOUT, Buffer.from("a line\nloaded fn1\n"));
    out.close();
    await store.close();
    expect(readFileSync(join(dir, "_env", "default", "node", CURRENT), "utf8")).toMatch(/node-bbbb out listening on 127\.0\.0\.1:1\n$/);
    expect(texts(await new LogStore({ dir, maxBytes: MB }).read("default/fn1"))).toEqual(["half a line", "loaded fn1"]);
  });

  it("cuts endless lines so memory stays bounded", async () => {
    const out = store.instance("node-cccc", "default/node");
    store.assign("node-cccc", "default/long");
    out.write(STDOUT, Buffer.alloc(MAX_LINE_BYTES + 10, "y"));
    out.write(STDOUT, Buffer.from("z\n"));
    out.close();
    expect((await store.read("default/long")).map((l) => l.text.length)).toEqual([MAX_LINE_BYTES + 10, 1]);
  });

  it("rotates so a function's log stays within its budget, keeping the newest lines", async () => {
    store = new LogStore({ dir, maxBytes: 64 * 1024 });
    const out = store.instance("node-dddd", "default/node");
    store.assign("node-dddd", "default/chatty");
    const line = (i: number) => `${String(i).padStart(6, "0")} ${"x".repeat(90)}\n`;
    for (let i = 0; i < 20_000; i += 10) out.write(STDOUT, Buffer.from(Array.from({ length: 10 }, (_, k) => line(i + k)).join("")));
    const lines = await store.read("default/chatty");
    const files = readdirSync(fnDir("chatty")).sort();
    expect(files).toEqual([CURRENT, ROTATED]);
    const used = files.reduce((n, f) => n + statSync(join(fnDir("chatty"), f)).size, 0);
    // Two files of at most half the budget each, give or take one chunk (~1.3 KiB here).
    expect(used).toBeLessThanOrEqual(64 * 1024 + 2048);
    expect(used).toBeGreaterThan(32 * 1024);
    expect(lines.at(-1)?.text).toMatch(/^019999 /);
    // Nothing lost in the middle of what is kept: consecutive numbers up to the last.
    const nums = lines.map((l) => Number(l.text.slice(0, 6)));
    expect(nums).toEqual(nums.map((_, i) => nums[0]! + i));
    expect(nums[0]).toBeGreaterThan(0);
    out.close();
  });

  it("filters by time and keeps the last N lines", async () => {
    mkdirSync(fnDir("old"), { recursive: true });
    const rec = (timeMs: number, text: string): LogRecord => ({ timeMs, instanceId: "i1", stream: "stdout", text });
    const t0 = Date.parse("2025-01-01T00:00:00Z");
    writeFileSync(
      join(fnDir("old"), CURRENT),
      Buffer.concat([formatLine(rec(t0, "a")), formatLine(rec(t0 + 60_000, "b")), formatLine(rec(t0 + 120_000, "c")), formatLine(rec(t0 + 180_000, "d"))]),
    );
    expect(texts(await store.read("default/old", { sinceMs: t0 + 60_000 }))).toEqual(["b", "c", "d"]);
    expect(texts(await store.read("default/old", { tail: 2 }))).toEqual(["c", "d"]);
    expect(texts(await store.read("default/old", { sinceMs: t0 + 150_000, tail: 5 }))).toEqual(["d"]);
    expect(await store.read("default/nothing-yet")).toEqual([]);
  });

  it("skips lines that do not parse (a file cut mid-write)", () => {
    const good = formatLine({ timeMs: 0, instanceId: "i", stream: "stderr", text: "ok" });
    const parsed = parseLines(Buffer.concat([Buffer.from("garbage\n2025-13-99 i out x\n"), good, Buffer.from("2025-01-01T00:00:00.000Z i out partial")]));
    expect(parsed).toEqual([{ timeMs: 0, instanceId: "i", stream: "stderr", text: "ok" }]);
  });

  it("follows: what was written, then each new line, until the reader cancels", async () => {
    const out = store.instance("node-eeee", "default/node");
    store.assign("node-eeee", "default/f");
    out.write(STDOUT, Buffer.from("before 1\nbefore 2\n"));
    const ac = new AbortController();
    const it = store.follow("default/f", { tail: 1 }, ac.signal)[Symbol.asyncIterator]();
    expect(texts(await take(it, 1))).toEqual(["before 2"]);
    const next = take(it, 2);
    out.write(STDERR, Buffer.from("live 1\n"));
    out.write(STDOUT, Buffer.from("live 2\n"));
    expect((await next).map((r) => `${r.stream}:${r.text}`)).toEqual(["stderr:live 1", "stdout:live 2"]);
    expect(store.followers("default/f")).toBe(1);
    const waiting = it.next();
    ac.abort();
    expect((await waiting).done).toBe(true);
    expect(store.followers("default/f")).toBe(0);
    out.close();
  });

  it("tells a follower that fell behind what it skipped, and the log what could not be written", async () => {
    store = new LogStore({ dir, maxBytes: 64 * MB });
    const out = store.instance("node-9999", "default/node");
    store.assign("node-9999", "default/flood");
    const it = store.follow("default/flood", {}, new AbortController().signal)[Symbol.asyncIterator]();
    const chunk = Buffer.from(`${"z".repeat(1023)}\n`.repeat(64)); // 64 KiB
    const first = it.next(); // subscribes (generators start on the first next())
    // 10 MiB in one tick: more than a follower may lag (4 MiB) and than may wait for the disk (8 MiB).
    for (let i = 0; i < 160; i++) out.write(STDOUT, chunk);
    const encoded = 64 * (24 + " node-9999 out ".length + 1024); // one chunk as stored
    const followed = Math.floor((4 * MB) / encoded) * 64;
    const got = [(await first).value as LogRecord, ...(await take(it, followed))];
    expect(got.slice(0, -1).every((r) => r.text.length === 1023 && r.instanceId === "node-9999")).toBe(true);
    expect(got.at(-1)).toMatchObject({ instanceId: "fizz", stream: "stderr" });
    expect(got.at(-1)?.text).toMatch(/^\[fizz\] \d+ bytes of output skipped: this reader fell behind$/);
    out.close();
    await store.close(); // the note is written once the backlog is
    const kept = await new LogStore({ dir, maxBytes: 64 * MB }).read("default/flood");
    const written = Math.floor((8 * MB) / encoded);
    expect(kept.length).toBe(written * 64 + 1);
    expect(kept.at(-1)?.text).toBe(`[fizz] ${(160 - written) * encoded} bytes of output dropped: the log could not be written fast enough`);
  });

  it("ends followers and deletes the files when the function is deleted", async () => {
    const out = store.instance("node-ffff", "default/node");
    store.assign("node-ffff", "default/gone");
    out.write(STDOUT, Buffer.from("x\n"));
    const it = store.follow("default/gone", {}, new AbortController().signal)[Symbol.asyncIterator]();
    expect(texts(await take(it, 1))).toEqual(["x"]);
    const waiting = it.next();
    await store.removeFunction("default/gone");
    expect((await waiting).done).toBe(true);
    expect(existsSync(fnDir("gone"))).toBe(false);
    // A draining instance may still print: dropped, nothing recreated.
    out.write(STDOUT, Buffer.from("late\n"));
    out.close();
    await store.close();
    expect(existsSync(fnDir("gone"))).toBe(false);
  });

  it("prunes logs of functions and environments that no longer exist", async () => {
    for (const d of [fnDir("keep"), fnDir("stale"), join(dir, "other", "stale2"), join(dir, "_env", "default", "node"), join(dir, "_env", "default", "oldenv")])
      mkdirSync(d, { recursive: true });
    await store.prune(new Set(["default/keep"]), new Set(["default/node"]));
    expect(existsSync(fnDir("keep"))).toBe(true);
    expect(existsSync(join(dir, "_env", "default", "node"))).toBe(true);
    expect(existsSync(fnDir("stale"))).toBe(false);
    expect(existsSync(join(dir, "other", "stale2"))).toBe(false);
    expect(existsSync(join(dir, "_env", "default", "oldenv"))).toBe(false);
  });
});
