// The pid registry ($STATE/executor/pids.json): which runtime processes this executor started,
// so a restarted executor can kill what a crashed one left behind.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "@fizz/common";

export interface PidEntry {
  id: string;
  pid: number;
  /** Runtime script; a recorded pid is only killed if its command line still contains it. */
  script: string;
}

export class PidFile {
  private writing?: Promise<void>;
  private dirty = false;

  constructor(
    readonly path: string,
    private readonly snapshot: () => PidEntry[],
    private readonly log: Logger,
  ) {}

  async read(): Promise<PidEntry[]> {
    try {
      const data = JSON.parse(await readFile(this.path, "utf8")) as { instances?: PidEntry[] };
      return Array.isArray(data.instances) ? data.instances.filter((e) => Number.isInteger(e?.pid) && e.pid > 0) : [];
    } catch {
      return [];
    }
  }

  /** Schedules a write of the current snapshot; bursts of changes coalesce into one write. */
  changed(): Promise<void> {
    this.dirty = true;
    this.writing ??= this.flushLoop().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async flushLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await mkdir(dirname(this.path), { recursive: true });
        // Write-then-rename: a crash never leaves a torn file. No fsync: losing the very last
        // change on power loss only means one orphan survives a reboot, which kills it anyway.
        const tmp = `${this.path}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify({ executorPid: process.pid, instances: this.snapshot() }));
        await rename(tmp, this.path);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "could not write pid registry");
      }
    }
  }
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return undefined;
  }
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** SIGKILLs every recorded pid that is still one of our runtimes; resolves when they are gone. */
export async function killOrphans(entries: PidEntry[], log: Logger): Promise<number> {
  const killed: number[] = [];
  for (const e of entries) {
    if (e.pid === process.pid || !isPidAlive(e.pid)) continue;
    const cmd = cmdlineOf(e.pid);
    // A recycled pid belongs to someone else: only kill what still runs our script.
    if (!cmd || !e.script || !cmd.includes(e.script)) continue;
    try {
      process.kill(e.pid, "SIGKILL");
      killed.push(e.pid);
      log.warn({ pid: e.pid, instance: e.id }, "killed orphaned runtime from a previous run");
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 3000;
  while (killed.some(isPidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return killed.length;
}
