// How canary configs look (shared by the canary verbs): the list table, and `get`'s view with
// the trigger's current weights and the step history.
import type { CanaryConfig, HTTPTrigger } from "@fizz/proto";
import type { Command } from "commander";
import { intArg } from "../../flags.js";
import { age, formatTable, type TableSpec } from "../../output.js";
import { functionsOf } from "../route/table.js";

/** Flags create and update share (names as Fission's `fission canary-config create`). */
export interface StepFlags {
  incrementStep?: number;
  incrementInterval?: string;
  failureThreshold?: number;
}

export function stepOptions(cmd: Command): Command {
  return cmd
    .option("--increment-step <percent>", "traffic points moved to the new function per step, 1–100", intArg)
    .option("--increment-interval <duration>", 'time between steps, e.g. "30s", "2m" (default 2m)')
    .option("--failure-threshold <percent>", "failure percentage (5xx) of the new function above which it is rolled back, 0–100", intArg);
}

export const CANARY_TABLE: TableSpec<CanaryConfig> = {
  headers: ["NAME", "TRIGGER", "OLD", "NEW", "STEP", "INTERVAL", "THRESHOLD", "STATUS", "WEIGHT", "AGE"],
  row: (c) => {
    const s = c.spec;
    return [
      c.metadata?.name ?? "",
      s?.trigger ?? "",
      s?.oldfunction ?? "",
      s?.newfunction ?? "",
      `${s?.weightincrement ?? 0}%`,
      s?.duration ?? "",
      `${s?.failurethreshold ?? 0}%`,
      c.status?.status || "pending",
      c.status?.history.length ? `${c.status.history.at(-1)!.newWeight}%` : "-",
      age(c.metadata?.creationTimestamp),
    ];
  },
};

/** Times without milliseconds. */
const iso = (t: string) => t.replace(/\.\d{3}Z$/, "Z");

/** The trigger's weights now, and one line per recorded step. */
export function canaryDetails(c: CanaryConfig, trigger: HTTPTrigger | undefined): string {
  const weights = trigger ? functionsOf(trigger) : `(HTTPTrigger "${c.spec?.trigger}" not found)`;
  const history = c.status?.history ?? [];
  const lines = [`Weights now: ${weights}`, ""];
  if (!history.length) return [...lines, "No steps yet."].join("\n");
  const rows = history.map((h) => [
    iso(h.time),
    h.action,
    `${h.newWeight}%`,
    String(h.requests),
    String(h.failures),
    `${Math.round(h.failurePercent * 100) / 100}%`,
    h.message,
  ]);
  return `${lines.join("\n")}\n${formatTable(["TIME (UTC)", "ACTION", "NEW WEIGHT", "REQUESTS", "FAILURES", "FAILURE %", "NOTE"], rows).trimEnd()}`;
}
