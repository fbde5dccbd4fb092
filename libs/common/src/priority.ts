// CPU priority for background work (recording's shipping thread and the recorder): on a busy
// machine it yields the CPU to the threads serving requests instead of taking turns with them.
// Linux keeps a nice value per thread, and a thread starts with its creator's value.
import { readdirSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { z } from "zod";

/** The default nice value of background work: it still runs, on whatever CPU request serving leaves. */
export const BACKGROUND_NICE = 10;

/** A nice value from 0 (no change) to 19 (lowest priority), for FIZZ_*_NICE settings. */
export const niceField = () => z.coerce.number().int().min(0).max(19).default(BACKGROUND_NICE);

/** Threads of this process, by thread id; undefined where /proc is missing (not Linux). */
function threadIds(): number[] | undefined {
  try {
    return readdirSync("/proc/self/task").map(Number);
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's priority to `nice` (never raises it: raising needs privileges, and
 * an operator's lower priority stands). Elsewhere than Linux this applies to the whole process.
 * Returns an error message when the system refused, undefined otherwise.
 */
export function lowerThreadPriority(nice: number): string | undefined {
  return lower(0, nice);
}

/** Lowers every thread of this process (V8's and libuv's that already run, too) to `nice`. */
export function lowerProcessPriority(nice: number): string | undefined {
  const ids = threadIds();
  if (!ids) return lower(0, nice);
  for (const id of ids) {
    const err = lower(id, nice);
    if (err) return err;
  }
  return undefined;
}

function lower(id: number, nice: number): string | undefined {
  if (nice <= 0) return undefined;
  try {
    if (getPriority(id) < nice) setPriority(id, nice);
    return undefined;
  } catch (err) {
    // A thread that ended meanwhile is not a failure.
    if ((err as { info?: { code?: string } }).info?.code === "ESRCH") return undefined;
    return err instanceof Error ? err.message : String(err);
  }
}
