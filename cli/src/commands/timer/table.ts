// How time triggers look (shared by the timer verbs) and the schedule lines `create`,
// `update` and `showschedule` print (Fission's "Current Server Time … Next 1 invocation …").
import type { TimeTrigger } from "@fizz/proto";
import { InvalidArgumentError } from "commander";
import { age, type TableSpec } from "../../output.js";

/** Times without milliseconds: 2024-05-01T03:00:00Z. */
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The next `n` times of `cron` after now, one line each, with the time zone said once. */
export async function scheduleLines(cron: string, n: number, now = new Date()): Promise<string> {
  const { nextN, parseCron, TIME_ZONE } = await import("@fizz/cron");
  const times = nextN(parseCron(cron), now, n);
  return [`Current Server Time: \t${iso(now)} (${TIME_ZONE})`, ...times.map((t, i) => `Next ${i + 1} invocation: \t${iso(t)}`)].join("\n");
}

/** The next run of a trigger's schedule, or "-" when it does not parse. */
async function nextRun(cron: string): Promise<string> {
  const { parseCron } = await import("@fizz/cron");
  try {
    return iso(parseCron(cron).next(new Date()));
  } catch {
    return "-";
  }
}

/** --round: how many times to show. */
export function roundArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 1000) throw new InvalidArgumentError(`expected a whole number from 1 to 1000, got "${v}"`);
  return n;
}

/** Builds the table spec with every trigger's next run computed up front. */
export async function timerTable(items: TimeTrigger | TimeTrigger[]): Promise<TableSpec<TimeTrigger>> {
  const list = Array.isArray(items) ? items : [items];
  const next = new Map<TimeTrigger, string>();
  for (const t of list) next.set(t, await nextRun(t.spec?.cron ?? ""));
  return {
    headers: ["NAME", "CRON", "FUNCTION", "METHOD", "SUBPATH", "NEXT RUN (UTC)", "AGE"],
    row: (t) => {
      const s = t.spec;
      return [t.metadata?.name ?? "", s?.cron ?? "", s?.functionref?.name ?? "", s?.method || "POST", s?.subpath || "/", next.get(t) ?? "-", age(t.metadata?.creationTimestamp)];
    },
  };
}
