// CPU time per process of a process tree, from /proc (Linux): which process a benchmark phase
// spends its CPU in, so a ratio can be explained (the router, the runtime or the recorder).
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** utime + stime in ms, or undefined when the process is gone or /proc is missing. */
function cpuMs(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** A readable name: the service or runtime directory of its main script (e.g. "router", "nodejs"; "cli" for fizz up). */
function nameOf(pid: number): string {
  try {
    // The script is node's first argument that is not an option (services may start with V8 flags).
    const main = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(1).find((a) => !a.startsWith("-")) ?? "";
    return main.match(/\/(?:services|runtimes|(cli))\/([^/]+)\//)?.slice(1).find(Boolean) ?? main.split("/").pop() ?? String(pid);
  } catch {
    return String(pid);
  }
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) (out.push(c), walk(c));
  };
  walk(root);
  return out;
}

/** Starts counting for the tree under `root` (and this process); stop() gives ms per process name. */
export function cpuMeter(root: number | undefined): { stop(): Record<string, number> } {
  const me = process.cpuUsage();
  if (root === undefined || !existsSync("/proc/self/stat")) return { stop: () => ({}) };
  const before = new Map([root, ...descendants(root)].map((pid) => [pid, cpuMs(pid) ?? 0]));
  return {
    stop() {
      const out: Record<string, number> = {};
      const used = process.cpuUsage(me);
      out.bench = Math.round((used.user + used.system) / 1000);
      for (const [pid, start] of before) {
        const ms = (cpuMs(pid) ?? start) - start;
        if (ms <= 0) continue;
        const name = nameOf(pid);
        out[name] = Math.round((out[name] ?? 0) + ms);
      }
      return out;
    },
  };
}
