// How HTTP triggers look in a table (shared by get and list).
import type { HTTPTrigger } from "@fizz/proto";
import { age, type TableSpec } from "../../output.js";

/** "a" or "a:80,b:20". */
export function functionsOf(t: HTTPTrigger): string {
  const ref = t.spec?.functionref;
  if (!ref) return "";
  if (ref.type === "function-weights")
    return Object.entries(ref.functionweights)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([f, w]) => `${f}:${w}`)
      .join(",");
  return ref.name;
}

export const ROUTE_TABLE: TableSpec<HTTPTrigger> = {
  headers: ["NAME", "METHODS", "URL", "PREFIX", "HOST", "FUNCTION(S)", "AGE"],
  row: (t) => {
    const s = t.spec;
    return [
      t.metadata?.name ?? "",
      s?.methods.length ? s.methods.join(",") : s?.method || "ALL",
      s?.relativeurl || "-",
      s?.prefix !== undefined ? `${s.prefix}${s.keepPrefix ? " (kept)" : ""}` : "-",
      s?.host || "*",
      functionsOf(t),
      age(t.metadata?.creationTimestamp),
    ];
  },
};
