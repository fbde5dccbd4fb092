// `pnpm gen:crds`: writes deploy/kubernetes/base/crds from the proto descriptors.
// `--check`: writes nothing, exits 1 naming every file that differs (what CI runs).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCrdFiles } from "./crds.js";

// deploy/{src,dist}/gen-crds.js → deploy/kubernetes/base/crds
export const CRD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "kubernetes", "base", "crds");

/** Files under dir that differ from what the descriptors generate (missing, stale or extra). */
export function crdDrift(dir = CRD_DIR): string[] {
  const want = renderCrdFiles();
  let have: string[] = [];
  try {
    have = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  } catch {
    // no directory yet: every file is missing
  }
  const drift = [...want].filter(([f, text]) => !have.includes(f) || readFileSync(join(dir, f), "utf8") !== text).map(([f]) => f);
  return [...drift, ...have.filter((f) => !want.has(f))].sort();
}

export function writeCrds(dir = CRD_DIR): void {
  const want = renderCrdFiles();
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith(".yaml") && !want.has(f)) rmSync(join(dir, f));
  for (const [f, text] of want) writeFileSync(join(dir, f), text);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const drift = crdDrift();
    if (drift.length) {
      process.stderr.write(`CRDs are stale (${drift.join(", ")}): run 'pnpm gen:crds' and commit deploy/kubernetes/base/crds\n`);
      process.exit(1);
    }
    process.stdout.write("CRDs are up to date\n");
  } else {
    writeCrds();
    process.stdout.write(`wrote ${CRD_DIR}\n`);
  }
}
