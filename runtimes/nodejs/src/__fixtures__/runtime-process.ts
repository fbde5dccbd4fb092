// Test harness for runtimes run as the executor runs them: a real process on an ephemeral port,
// ready once it prints "fizz-runtime listening on host:port". Shared by the nodejs, python and
// exec runtime tests. Fixture functions go into temp directories removed by cleanup().
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const dirs: string[] = [];
const children: ChildProcess[] = [];

/** Writes `files` (relative path -> content; mode 0o755 for a [content, mode] pair) into a fresh temp dir. */
export async function fixtureDir(files: Record<string, string | [string, number]>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "fizz-rt-"));
  dirs.push(dir);
  for (const [rel, spec] of Object.entries(files)) {
    const p = path.join(dir, rel);
    await mkdir(path.dirname(p), { recursive: true });
    const [content, mode] = Array.isArray(spec) ? spec : [spec, 0o644];
    await writeFile(p, content, { mode });
  }
  return dir;
}

export interface RuntimeProc {
  child: ChildProcess;
  base: string;
  port: number;
  /** Everything the process wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once `needle` has appeared on the stream (output arrives after the response). */
  waitFor(stream: "stdout" | "stderr", needle: string | RegExp, ms?: number): Promise<string>;
}

/** Resolves with the ready line's port; rejects if the process exits first. */
export function readyLine(child: ChildProcess): Promise<{ line: string; port: number }> {
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      buf += d;
      const m = /fizz-runtime listening on (\S+):(\d+)\n/.exec(buf);
      if (m) resolve({ line: m[0].trim(), port: Number(m[2]) });
    });
    child.once("exit", (code) => reject(new Error(`runtime exited with ${code} before ready: ${buf}`)));
  });
}

/** Resolves with the exit code once the process exits; rejects after `ms`. */
export function exited(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`runtime still alive after ${ms} ms`)), ms);
    child.once("exit", (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** True when pid no longer runs: gone, or a zombie an init that is slow to reap still lists. */
export function dead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Starts `cmd args` with PORT=0 and waits for its ready line. */
export async function startProcess(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdio: StdioOptions = ["ignore", "pipe", "pipe"],
): Promise<RuntimeProc> {
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", ...env }, stdio });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer | string) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const { port } = await readyLine(child);
  const waitFor = (stream: "stdout" | "stderr", needle: string | RegExp, ms = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const text = () => (stream === "stdout" ? out : err);
      const found = () => (typeof needle === "string" ? text().includes(needle) : needle.test(text()));
      if (found()) return resolve(text());
      const timer = setTimeout(() => (child[stream]!.off("data", check), reject(new Error(`no ${needle} on ${stream}: ${text()}`))), ms);
      const check = () => {
        if (!found()) return;
        clearTimeout(timer);
        child[stream]!.off("data", check);
        resolve(text());
      };
      child[stream]!.on("data", check);
    });
  return { child, port, base: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, waitFor };
}

export function specialize(r: RuntimeProc, filepath: string, functionName = ""): Promise<Response> {
  return fetch(`${r.base}/v2/specialize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ filepath, functionName }),
  });
}

/** Kills every process started here and removes the fixture directories. */
export async function cleanup(): Promise<void> {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}
