// The Python runtime under test: `python3 main.py` (FIZZ_PYTHON overrides the interpreter).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureDir, specialize, startProcess, type RuntimeProc } from "../../../nodejs/src/__fixtures__/runtime-process.js";

export const PKG_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MAIN_PY = path.join(PKG_DIR, "main.py");
export const PYTHON = process.env.FIZZ_PYTHON || "python3";

/** Whether real Flask is importable by this python3: the runtime must agree in "auto" mode. */
export function flaskInstalled(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import flask"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function startPython(env: NodeJS.ProcessEnv = {}): Promise<RuntimeProc> {
  return startProcess(PYTHON, [MAIN_PY], env);
}

/** Writes the files, starts a runtime, specializes it; fails the test if that does not work. */
export async function specializedPython(
  files: Record<string, string | [string, number]>,
  entry: string,
  functionName = "",
  env: NodeJS.ProcessEnv = {},
): Promise<RuntimeProc & { flask: string }> {
  const dir = await fixtureDir(files);
  const r = await startPython({ FIZZ_USERFUNC_DIR: dir, ...env });
  const res = await specialize(r, path.join(dir, entry), functionName);
  if (res.status !== 202) throw new Error(`specialize failed: ${res.status} ${await res.text()}`);
  const info = (await res.json()) as { flask: string };
  return { ...r, flask: info.flask };
}
