// The HTTPTrigger a canary moves. It must send its traffic to the old function by name (turned
// into function-weights old 100 / new 0 when the canary starts) or split it by function-weights
// between the old and the new function only; anything else fails the canary with a message
// saying why, and the trigger is left alone. Writes carry the resourceVersion just read and
// are retried on a conflict with the trigger as it is then.
import { create } from "@bufbuild/protobuf";
import { isFizzError } from "@fizz/common";
import { wrap, type AdminClient } from "@fizz/clients";
import { FunctionReferenceSchema, Kind, type CanaryConfigSpec, type HTTPTrigger } from "@fizz/proto";
import { readValue } from "./status.js";

const CONFLICT_RETRIES = 10;

export type Split = { ok: true; weight: number; weighted: boolean } | { ok: false; why: string };

/** The new function's share of the trigger's traffic, if the trigger is one a canary can move. */
export function splitOf(t: HTTPTrigger, s: CanaryConfigSpec): Split {
  const ref = t.spec?.functionref;
  const name = `HTTPTrigger "${t.metadata?.name ?? s.trigger}"`;
  const need = `a canary needs it to route to "${s.oldfunction}" by name, or split by function-weights between "${s.oldfunction}" and "${s.newfunction}" only`;
  if (ref?.type === "function-weights") {
    const names = Object.keys(ref.functionweights);
    const others = names.filter((n) => n !== s.oldfunction && n !== s.newfunction);
    if (others.length || !names.length) return { ok: false, why: `${name} splits traffic between ${names.map((n) => `"${n}"`).join(", ") || "no functions"}: ${need}` };
    const w = ref.functionweights;
    const total = (w[s.oldfunction] ?? 0) + (w[s.newfunction] ?? 0);
    const weight = total > 0 ? Math.round(((w[s.newfunction] ?? 0) * 100) / total) : 0;
    return { ok: true, weight, weighted: true };
  }
  if (ref?.name === s.oldfunction) return { ok: true, weight: 0, weighted: false };
  return { ok: false, why: `${name} routes to "${ref?.name ?? ""}": ${need}` };
}

export const readTrigger = (admin: AdminClient, namespace: string, name: string) => readValue(admin, Kind.HTTP_TRIGGER, "httpTrigger", namespace, name);

/**
 * Sets old = 100 - weight, new = weight on the trigger; returns undefined when done (or
 * nothing to change), else why the trigger cannot be moved (gone, or no longer a canary split).
 */
export async function setWeight(admin: AdminClient, namespace: string, s: CanaryConfigSpec, weight: number): Promise<string | undefined> {
  for (let i = 0; ; i++) {
    const t = await readTrigger(admin, namespace, s.trigger);
    if (!t) return `HTTPTrigger "${s.trigger}" not found in namespace "${namespace}"`;
    const split = splitOf(t, s);
    if (!split.ok) return split.why;
    const w = t.spec!.functionref?.functionweights ?? {};
    if (split.weighted && w[s.oldfunction] === 100 - weight && w[s.newfunction] === weight) return undefined;
    t.spec!.functionref = create(FunctionReferenceSchema, {
      type: "function-weights",
      functionweights: { [s.oldfunction]: 100 - weight, [s.newfunction]: weight },
    });
    try {
      await admin.update({ resource: wrap(t) });
      return undefined;
    } catch (err) {
      if (!isFizzError(err, "ABORTED") || i >= CONFLICT_RETRIES) throw err;
    }
  }
}
