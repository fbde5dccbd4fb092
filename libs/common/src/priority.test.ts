import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Runs in a child process (so this one keeps its priority) against the compiled module.
const MODULE = fileURLToPath(new URL("../dist/priority.js", import.meta.url));
const linux = existsSync("/proc/self/task");

/** Nice value of each thread of the child, main thread first, after `script` ran there. */
function childNices(script: string): number[] {
  const out = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { readdirSync } from "node:fs";
       import { getPriority } from "node:os";
       import { Worker } from "node:worker_threads";
       import * as p from ${JSON.stringify(MODULE)};
       const nices = () => readdirSync("/proc/self/task").map(Number).sort((a, b) => a - b).map((t) => getPriority(t));
       ${script}`,
    ],
    { encoding: "utf8" },
  );
  return JSON.parse(out) as number[];
}

(linux ? describe : describe.skip)("background priority (Linux threads)", () => {
  it("lowers every thread of the process, and threads started later inherit it", () => {
    const nices = childNices(`
      if (p.lowerProcessPriority(10)) throw new Error("refused");
      const w = new Worker("setTimeout(() => {}, 1000)", { eval: true });
      w.on("online", () => { console.log(JSON.stringify(nices())); w.terminate(); });`);
    expect(nices.length).toBeGreaterThan(4); // node's own threads and the worker
    expect(new Set(nices)).toEqual(new Set([10]));
  });

  it("lowers only the calling thread: a worker's, not the main thread's", () => {
    const nices = childNices(`
      const w = new Worker("Promise.all([import('node:worker_threads'), import(" + JSON.stringify(${JSON.stringify(MODULE)}) + ")]).then(([t, p]) => { " +
        "if (p.lowerThreadPriority(10)) throw new Error('refused'); t.parentPort.postMessage('ok'); setTimeout(() => {}, 1000); })",
        { eval: true });
      w.on("message", () => { console.log(JSON.stringify(nices())); w.terminate(); });`);
    expect(nices[0]).toBe(0);
    expect(nices.filter((n) => n === 10)).toHaveLength(1);
  });

  it("never raises a priority, and 0 leaves it alone", () => {
    const nices = childNices(`
      p.lowerProcessPriority(15);
      p.lowerProcessPriority(10);
      const afterLower = nices();
      p.lowerThreadPriority(0);
      console.log(JSON.stringify([...afterLower, ...nices()]));`);
    expect(new Set(nices)).toEqual(new Set([15]));
  });
});
