// How a replayed response is compared with the recorded one: status, content-type plus chosen
// headers, and the body — structurally when both bodies are JSON, else byte for byte.

export const MAX_DIFFERENCES = 20;

export interface Side {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  bodyTruncated?: boolean;
}

export interface Comparison {
  same: boolean;
  differences: string[];
}

const show = (v: unknown) => {
  if (v === undefined) return "(missing)";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function parseJson(b: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  if (b.length === 0) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b)) };
  } catch {
    return { ok: false };
  }
}

/**
 * Whether a field is ignored: a dotted path ("data.id") matches that path, array indices
 * optional ("items.id" matches items.0.id); a bare name ("timestamp") matches at any depth.
 */
export function ignoredBy(fields: string[]): (path: string[]) => boolean {
  const paths = new Set(fields.filter((f) => f.includes(".")).map((f) => f.replace(/^body\./, "")));
  const names = new Set(fields.filter((f) => f && !f.includes(".")));
  return (path) => {
    const last = path[path.length - 1];
    if (last !== undefined && names.has(last)) return true;
    return paths.has(path.join(".")) || paths.has(path.filter((p) => !/^\d+$/.test(p)).join("."));
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Structural differences between two JSON values, as "body.a.b: 1 → 2". */
export function jsonDifferences(a: unknown, b: unknown, ignored: (path: string[]) => boolean, path: string[] = [], out: string[] = []): string[] {
  if (path.length > 0 && ignored(path)) return out;
  const label = ["body", ...path].join(".");
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) jsonDifferences(a[i], b[i], ignored, [...path, String(i)], out);
  } else if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) jsonDifferences(a[k], b[k], ignored, [...path, k], out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${label}: ${show(a)} → ${show(b)}`);
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

export function compareResponses(original: Side, replayed: Side, opts: { ignoreFields?: string[]; compareHeaders?: string[] } = {}): Comparison {
  const diffs: string[] = [];
  const notes: string[] = [];
  if (original.status !== replayed.status) diffs.push(`status: ${original.status} → ${replayed.status}`);
  const headers = new Set(["content-type", ...(opts.compareHeaders ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean)]);
  for (const h of headers) {
    const a = original.headers[h];
    const b = replayed.headers[h];
    if (a !== b) diffs.push(`header ${h}: ${a ?? "(missing)"} → ${b ?? "(missing)"}`);
  }
  if (original.bodyTruncated) {
    // Only a prefix of the original body was kept: comparing it would always differ.
    notes.push("body not compared: the recorded response body was truncated");
  } else {
    const a = parseJson(original.body);
    const b = parseJson(replayed.body);
    if (a.ok && b.ok) diffs.push(...jsonDifferences(a.value, b.value, ignoredBy(opts.ignoreFields ?? [])));
    else if (!equalBytes(original.body, replayed.body)) diffs.push(`body differs (${original.body.length} bytes vs ${replayed.body.length} bytes)`);
  }
  const shown = diffs.length > MAX_DIFFERENCES ? [...diffs.slice(0, MAX_DIFFERENCES), `... and ${diffs.length - MAX_DIFFERENCES} more differences`] : diffs;
  return { same: diffs.length === 0, differences: [...shown, ...notes] };
}
