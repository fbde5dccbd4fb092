// Runs every benchmark in turn (each writes bench/results/<name>.{json,md}).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const b of ["warm-path", "cold-start", "build", "record-overhead", "mq-throughput", "live-reload"]) {
  process.stdout.write(`\n== ${b} ==\n`);
  const r = spawnSync(process.execPath, [join(here, `${b}.js`)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
