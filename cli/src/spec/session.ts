// One pass of `spec validate` / `spec apply`: read the directory, ask the platform what exists,
// validate everything, build the archives the packages use, and plan. Problems come back as
// data (file:line + message) so commands print them all and watch mode keeps going.
import type { AdminClient } from "@fizz/clients";
import type { KindValue } from "@fizz/clients/resources";
import { FizzError } from "@fizz/common/errors";
import { describeError } from "../errors.js";
import { formatTable } from "../output.js";
import { ArchiveBuilder, type BuiltArchive } from "./archives.js";
import { at, type Problem, type SpecResource, type SpecSet } from "./format.js";
import { readSpecs } from "./parse.js";
import { counts, makePlan, type Plan, type Step } from "./plan.js";
import { readPlatform, type PlatformState } from "./platform.js";
import { archiveRefs, validateSpecs } from "./validate.js";

export interface Pass {
  set: SpecSet;
  platform?: PlatformState;
  /** Why the platform could not be asked (validate works without it). */
  offline?: string;
  plan?: Plan;
  errors: Problem[];
  warnings: Problem[];
}

export interface PassOptions {
  dir: string;
  namespace: string;
  /** undefined: validate offline. */
  api?: AdminClient;
  /** Must the platform answer? (apply: yes; validate: best effort) */
  needPlatform: boolean;
  delete?: boolean;
  builder?: ArchiveBuilder;
}

export async function runPass(o: PassOptions): Promise<Pass> {
  const set = await readSpecs(o.dir, o.namespace);
  const pass: Pass = { set, errors: set.errors, warnings: set.warnings };
  if (o.api) {
    try {
      pass.platform = await readPlatform(o.api, o.needPlatform ? 10_000 : 5_000);
    } catch (err) {
      if (o.needPlatform) throw err;
      pass.offline = describeError(err);
    }
  }
  const { normalized } = await validateSpecs(set, pass.platform);
  if (set.errors.length || !pass.platform || !set.config) return pass;
  // Build only the archives some package uses.
  const builder = o.builder ?? new ArchiveBuilder();
  const built = new Map<string, BuiltArchive>();
  const used = new Set([...normalized.values()].flatMap((v) => archiveRefs(v).map((r) => r.name)));
  for (const a of set.archives) {
    if (!used.has(a.name)) continue;
    try {
      built.set(a.name, await builder.build(a));
    } catch (err) {
      set.errors.push({ loc: a.loc, message: (err as Error).message });
    }
  }
  if (set.errors.length) return pass;
  const resources: Array<{ res: SpecResource; value: KindValue }> = [...normalized.entries()].map(([res, value]) => ({ res, value }));
  pass.plan = makePlan(resources, set.config, pass.platform, built, { delete: o.delete ?? false });
  set.errors.push(...pass.plan.errors);
  return pass;
}

/** "specs/fn.yaml:12: message" lines, errors first; warnings marked. */
export function problemLines(p: Pick<Pass, "errors" | "warnings">): string[] {
  const line = (x: Problem) => (x.loc ? `${at(x.loc)}: ${x.message}` : x.message);
  return [...p.errors.map(line), ...p.warnings.map((w) => `warning: ${line(w)}`)];
}

/** Fails with every problem listed (stderr) and a one-line summary. */
export function failOnProblems(p: Pass): void {
  for (const w of problemLines({ errors: [], warnings: p.warnings })) process.stderr.write(`${w}\n`);
  if (!p.errors.length) return;
  for (const e of problemLines({ errors: p.errors, warnings: [] })) process.stderr.write(`${e}\n`);
  throw new FizzError("INVALID_ARGUMENT", `${p.errors.length} problem${p.errors.length === 1 ? "" : "s"} in ${p.set.dir}; nothing was applied`);
}

/** The plan as a table; resources kept because --delete was not given show as "keep". */
export function planTable(plan: Plan): string {
  const row = (s: Step, action: string, reason: string) => [action, s.kind.info.name, s.namespace === "default" ? s.name : `${s.namespace}/${s.name}`, reason];
  return formatTable(
    ["ACTION", "KIND", "NAME", "WHY"],
    [...plan.steps.map((s) => row(s, s.action, s.reason)), ...plan.kept.map((s) => row(s, "keep", "no longer in the specs (--delete removes it)"))],
  );
}

/** "2 to create, 1 to update, 0 to delete, 3 unchanged". */
export function planSummary(plan: Plan): string {
  const c = counts(plan.steps);
  const kept = plan.kept.length ? `; ${plan.kept.length} no longer in the specs (kept; --delete removes them)` : "";
  return `${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.unchanged} unchanged${kept}`;
}
