// Label selectors, as the API server's `?labelSelector=` (string form) and as Deployments and
// Services carry them (object form). Supported: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`,
// `a notin (x,y)`, comma-separated (all must hold).
import { KubeError, type KubeObject } from "./objects.js";

export type Labels = Record<string, string>;
export type LabelPredicate = (labels: Labels) => boolean;

/** The object form: Deployment spec.selector (matchLabels + matchExpressions). */
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Parses a `labelSelector` query value; a malformed one is a 400 BadRequest, as on a real server. */
export function parseSelector(text: string): LabelPredicate {
  const terms = splitTerms(text.trim()).map((t) => t.trim()).filter(Boolean);
  const preds = terms.map(parseTerm);
  return (labels) => preds.every((p) => p(labels));
}

/** Matches the object form; an empty selector matches everything (as `{}` does in Kubernetes). */
export function selectorMatches(sel: LabelSelector | undefined, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = { In: inValues, NotIn: !inValues, Exists: has, DoesNotExist: !has }[e.operator];
    if (!ok) return false;
  }
  return true;
}

/** A Service's selector (a plain map); a Service without one selects no pods. */
export function mapMatches(sel: Labels | undefined, labels: Labels): boolean {
  if (!sel || Object.keys(sel).length === 0) return false;
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

export const labelsOf = (o: KubeObject): Labels => (o.metadata?.labels ?? {}) as Labels;

// Commas inside "in (x,y)" do not separate terms.
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) (out.push(cur), (cur = ""));
    else cur += ch;
  }
  out.push(cur);
  return out;
}

const KEY = "[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?";
const VALUE = "([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?";

function parseTerm(t: string): LabelPredicate {
  let m: RegExpMatchArray | null;
  if ((m = t.match(new RegExp(`^(${KEY})\\s+(in|notin)\\s+\\(([^)]*)\\)$`)))) {
    const key = m[1]!;
    const values = m[4]!.split(",").map((v) => v.trim());
    for (const v of values) checkValue(v, t);
    return m[3] === "in" ? (l) => Object.hasOwn(l, key) && values.includes(l[key]!) : (l) => !Object.hasOwn(l, key) || !values.includes(l[key]!);
  }
  if ((m = t.match(new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(\\S*)$`)))) {
    const [key, op, value] = [m[1]!, m[3]!, m[4]!];
    checkValue(value, t);
    return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  if ((m = t.match(new RegExp(`^(!?)\\s*(${KEY})$`)))) {
    const [neg, key] = [m[1] === "!", m[2]!];
    return neg ? (l) => !Object.hasOwn(l, key) : (l) => Object.hasOwn(l, key);
  }
  throw new KubeError(400, "BadRequest", `unable to parse requirement: invalid label selector term "${t}"`);
}

function checkValue(v: string, t: string): void {
  if (v.length > 63 || !new RegExp(`^${VALUE}$`).test(v))
    throw new KubeError(400, "BadRequest", `unable to parse requirement: invalid label value "${v}" in "${t}": must be 63 characters or less and consist of alphanumerics, '-', '_' or '.'`);
}
