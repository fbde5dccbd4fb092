// Runs the Tiltfile through tiltfile-harness.py (python3): a Starlark-subset check, then an
// execution with recording stand-ins for Tilt's builtins, so tests can check every image,
// sync path, resource and port-forward it declares against the repository.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface TiltCall {
  fn: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

// deploy/{src,dist}/tiltfile.js → deploy/src/tiltfile-harness.py
const HARNESS = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "tiltfile-harness.py");

/** Every builtin call the Tiltfile makes, in order; throws listing what Tilt would reject. */
export function tiltCalls(tiltfile: string): TiltCall[] {
  const r = spawnSync("python3", [HARNESS, tiltfile], { encoding: "utf8" });
  if (r.error) throw new Error(`cannot run python3 to check ${tiltfile} (${r.error.message}): install python3`);
  let out: { calls?: TiltCall[]; errors?: string[] };
  try {
    out = JSON.parse(r.stdout) as typeof out;
  } catch {
    throw new Error(`tiltfile harness failed on ${tiltfile}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  if (out.errors) throw new Error(`${tiltfile}:\n  ${out.errors.join("\n  ")}`);
  return out.calls ?? [];
}

export const callsOf = (calls: TiltCall[], fn: string) => calls.filter((c) => c.fn === fn);
