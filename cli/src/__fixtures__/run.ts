// Runs the built CLI as a subprocess, the way a user (and the e2e suite) does.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../paths.js";

export const CLI = join(REPO_ROOT, "cli", "dist", "main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NODE_OPTIONS: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The CLI run with the environment `env()` returns (read at each call, so it may be set in beforeAll). */
export function cliRunner(env: () => NodeJS.ProcessEnv) {
  const fizz = (...args: string[]) => runCli(args, env());
  /** stdout of a command that must succeed. */
  const ok = async (...args: string[]): Promise<string> => {
    const r = await fizz(...args);
    if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const json = async (...args: string[]) => JSON.parse(await ok(...args, "-o", "json"));
  /** The command fails with one line on stderr matching `pattern`, as every CLI error does. */
  const failsWith = async (args: string[], pattern: RegExp) => {
    const r = await fizz(...args);
    if (r.code !== 1) throw new Error(`fizz ${args.join(" ")} exited ${r.code}, not 1:\n${r.stderr}${r.stdout}`);
    const lines = r.stderr.trim().split("\n");
    if (lines.length !== 1 || !pattern.test(lines[0]!)) throw new Error(`fizz ${args.join(" ")}: expected one stderr line matching ${pattern}, got:\n${r.stderr}`);
  };
  return { fizz, ok, json, failsWith };
}
