// Test harness: fixture functions in a temp dir and an in-process runtime on an ephemeral port.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRuntimeServer, type RuntimeServer, type RuntimeServerOptions } from "../server.js";

const dirs: string[] = [];

/** Writes `files` (relative path -> content) into a fresh temp directory and returns it. */
export async function fixtureDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "fizz-rt-"));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  return dir;
}

export async function removeFixtures(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export interface Running {
  rt: RuntimeServer;
  base: string;
  close(): Promise<void>;
}

const running: Running[] = [];

export async function startRuntime(opts: RuntimeServerOptions = {}): Promise<Running> {
  const rt = createRuntimeServer(opts);
  const { port } = await rt.listen(0, "127.0.0.1");
  const r: Running = { rt, base: `http://127.0.0.1:${port}`, close: () => rt.close(100) };
  running.push(r);
  return r;
}

export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((r) => r.close()));
}

export function specialize(r: Running, filepath: string, functionName = ""): Promise<Response> {
  return fetch(`${r.base}/v2/specialize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ filepath, functionName }),
  });
}

/** Writes the files, starts a runtime and specializes it; fails the test if that does not work. */
export async function specialized(
  files: Record<string, string>,
  entry: string,
  functionName = "",
  opts: RuntimeServerOptions = {},
): Promise<Running> {
  const dir = await fixtureDir(files);
  const r = await startRuntime({ userFuncDir: dir, ...opts });
  const res = await specialize(r, path.join(dir, entry), functionName);
  if (res.status !== 202) throw new Error(`specialize failed: ${res.status} ${await res.text()}`);
  return r;
}
