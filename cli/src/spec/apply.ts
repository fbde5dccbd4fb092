// Carrying out a plan. Order: triggers that go away are deleted first (so a route can move from
// one trigger to another), then creates and updates in dependency order (environments, packages,
// functions, triggers, ...), then the functions, packages and environments that go away. Changed
// archives are uploaded (or inlined) right before their package is written. The first failure
// stops the apply with what had been done; a re-run converges, as the plan is recomputed.
import type { AdminClient } from "@fizz/clients";
import { wrap } from "@fizz/clients/resources";
import { FizzError, type ErrorCode } from "@fizz/common/errors";
import { toArchive, type Uploader } from "../code.js";
import { codeOf, describeError } from "../errors.js";
import { SPEC_KINDS, type SpecKind } from "./format.js";
import type { Plan, Step } from "./plan.js";

const rank = (k: SpecKind) => SPEC_KINDS.indexOf(k);
// Kinds nothing else refers to but triggers: removed before anything new claims their routes.
const EARLY = new Set(["httpTrigger", "timeTrigger", "messageQueueTrigger", "canaryConfig", "recorder"]);

/** The steps that change something, in the order they are carried out. */
export function ordered(plan: Plan): Step[] {
  const dels = plan.steps.filter((s) => s.action === "delete").sort((a, b) => rank(b.kind) - rank(a.kind));
  const writes = plan.steps.filter((s) => s.action === "create" || s.action === "update").sort((a, b) => rank(a.kind) - rank(b.kind));
  return [...dels.filter((s) => EARLY.has(s.kind.info.case)), ...writes, ...dels.filter((s) => !EARLY.has(s.kind.info.case))];
}

export const describeStep = (s: Step) => `${s.kind.info.name} '${s.name}'`;
const past = { create: "created", update: "updated", delete: "deleted", unchanged: "unchanged" } as const;

async function carryOut(api: AdminClient, s: Step, upload: Uploader): Promise<void> {
  const kind = s.kind.info.kind;
  if (s.action === "delete") {
    try {
      await api.delete({ kind, namespace: s.namespace, name: s.name });
    } catch (err) {
      if (codeOf(err) !== "NOT_FOUND") throw err; // gone already: what we wanted
    }
    return;
  }
  const d = s.desired!;
  if (d.$typeName === "fizz.v1.Package") {
    for (const u of s.uploads) d.spec![u.field] = await toArchive(u.archive.zip, upload);
    // Unchanged source: keep the build it has (a missing status would ask for a new build).
    const e = s.existing;
    const sourceChanged = s.uploads.some((u) => u.field === "source");
    if (s.action === "update" && e?.$typeName === "fizz.v1.Package" && e.spec?.source && !sourceChanged) d.status = e.status;
  }
  if (s.action === "create") await api.create({ resource: wrap(d) });
  else {
    // Last writer wins: the controller may have bumped the resource since the plan was made
    // (a package update bumps its functions), and the spec is what should be there.
    d.metadata!.resourceVersion = "";
    await api.update({ resource: wrap(d) });
  }
}

/** Applies the plan's changes; `onStep` hears each one as it lands. Returns the steps done. */
export async function applyPlan(api: AdminClient, plan: Plan, upload: Uploader, onStep?: (s: Step) => void): Promise<Step[]> {
  const done: Step[] = [];
  for (const s of ordered(plan)) {
    try {
      await carryOut(api, s, upload);
    } catch (err) {
      const soFar = done.length ? done.map((d) => `${past[d.action]} ${describeStep(d)}`).join(", ") : "nothing";
      throw new FizzError(
        (codeOf(err) as ErrorCode | undefined) ?? "INTERNAL",
        `could not ${s.action} ${describeStep(s)}: ${describeError(err)}; applied before this: ${soFar}. Fix it and run fizz spec apply again`,
      );
    }
    done.push(s);
    onStep?.(s);
  }
  return done;
}

export const pastTense = (s: Step) => past[s.action];
