// Parsing helpers for flag values; mistakes become usage errors that name the flag.
import { readFile } from "node:fs/promises";
import { InvalidArgumentError } from "commander";

/** Commander reducer for repeatable flags (--method GET --method POST). */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Commander parser for non-negative integers. */
export function intArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

/** commander accumulator for a repeatable integer flag (--weight 80 --weight 20). */
export const collectInt = (value: string, previous: number[] | undefined): number[] => [...(previous ?? []), intArg(value)];

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];

/** Upper-cases methods, accepting "GET,POST" as well as repeated flags. */
export function normalizeMethods(values: string[] | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? [])
    for (const m of v.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean)) {
      if (!METHODS.includes(m)) throw new InvalidArgumentError(`unknown HTTP method "${m}" (use ${METHODS.join(", ")})`);
      if (!out.includes(m)) out.push(m);
    }
  return out;
}

/** "Name: value" → [name, value]. */
export function parseHeader(h: string): [string, string] {
  const i = h.indexOf(":");
  const name = i > 0 ? h.slice(0, i).trim() : "";
  if (!name || /\s/.test(name)) throw new InvalidArgumentError(`header "${h}" must look like "Name: value"`);
  return [name, h.slice(i + 1).trim()];
}

/** Headers from repeated --header flags; repeated names are joined like HTTP does. */
export function parseHeaders(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list ?? []) {
    const [k, v] = parseHeader(h);
    const key = k.toLowerCase();
    out[key] = out[key] === undefined ? v : `${out[key]}, ${v}`;
  }
  return out;
}

/** Pairs --function and --weight flags in order: one function needs no weight, several need one each. */
export function pairWeights(functions: string[], weights: number[]): { type: "name"; name: string } | { type: "function-weights"; weights: Record<string, number> } {
  if (functions.length === 0) throw new InvalidArgumentError("--function is required");
  if (functions.length === 1 && weights.length === 0) return { type: "name", name: functions[0]! };
  if (weights.length !== functions.length)
    throw new InvalidArgumentError(
      `give one --weight per --function (got ${functions.length} function${functions.length > 1 ? "s" : ""} and ${weights.length} weight${weights.length === 1 ? "" : "s"})`,
    );
  const out: Record<string, number> = {};
  functions.forEach((f, i) => {
    if (f in out) throw new InvalidArgumentError(`function "${f}" is given twice`);
    out[f] = weights[i]!;
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum !== 100) throw new InvalidArgumentError(`weights must add up to 100, they add up to ${sum}`);
  return { type: "function-weights", weights: out };
}

/** --body: the text itself, or the contents of a file when it starts with "@" (like curl). */
export async function readBody(body: string | undefined): Promise<Buffer | undefined> {
  if (body === undefined) return undefined;
  if (!body.startsWith("@")) return Buffer.from(body);
  const path = body.slice(1);
  try {
    return await readFile(path);
  } catch (err) {
    throw new InvalidArgumentError(`--body ${body}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Repeated --query a=b flags as a query string ("?a=b&c=d"), or "" when none. */
export function queryString(list: string[] | undefined): string {
  const q = new URLSearchParams();
  for (const item of list ?? []) {
    const i = item.indexOf("=");
    if (i <= 0) throw new InvalidArgumentError(`--query "${item}" must look like name=value`);
    q.append(item.slice(0, i), item.slice(i + 1));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** A path given by the user, with the leading "/" it needs. */
export const slashed = (p: string) => (p.startsWith("/") ? p : `/${p}`);
