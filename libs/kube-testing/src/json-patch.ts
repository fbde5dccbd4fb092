// RFC 6902 JSON patch (add, remove, replace, move, copy, test), which @kubernetes/client-node
// sends by default for patch calls. A malformed patch is 400; a failed test or a path that does
// not exist is 422, as the API server answers.
import { KubeError } from "./objects.js";

export interface PatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new KubeError(400, "BadRequest", "a JSON patch must be an array of operations");
  let out = structuredClone(doc);
  for (const raw of ops) {
    const op = raw as PatchOp;
    if (!op || typeof op !== "object" || typeof op.op !== "string" || typeof op.path !== "string")
      throw new KubeError(400, "BadRequest", `invalid JSON patch operation: ${JSON.stringify(raw)}`);
    switch (op.op) {
      case "add":
        out = put(out, op.path, structuredClone(op.value), true);
        break;
      case "replace":
        get(out, op.path);
        out = put(out, op.path, structuredClone(op.value), false);
        break;
      case "remove":
        out = take(out, op.path);
        break;
      case "move": {
        const v = get(out, from(op));
        out = put(take(out, from(op)), op.path, v, true);
        break;
      }
      case "copy":
        out = put(out, op.path, structuredClone(get(out, from(op))), true);
        break;
      case "test":
        if (JSON.stringify(get(out, op.path)) !== JSON.stringify(op.value)) throw unprocessable(`testing value ${op.path} failed`);
        break;
      default:
        throw new KubeError(400, "BadRequest", `unknown JSON patch operation "${op.op}"`);
    }
  }
  return out;
}

const unprocessable = (msg: string) => new KubeError(422, "Invalid", `the server rejected our request due to an error in our request: ${msg}`);

function from(op: PatchOp): string {
  if (typeof op.from !== "string") throw new KubeError(400, "BadRequest", `JSON patch "${op.op}" needs "from"`);
  return op.from;
}

function tokens(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new KubeError(400, "BadRequest", `invalid JSON pointer "${path}"`);
  return path.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The container holding the path's last token, and that token. */
function parent(doc: unknown, path: string): [Container, string] {
  const ts = tokens(path);
  if (ts.length === 0) throw unprocessable("cannot patch the whole document");
  let cur: unknown = doc;
  for (const t of ts.slice(0, -1)) {
    if (!cur || typeof cur !== "object") throw unprocessable(`path ${path} does not exist`);
    cur = (cur as Record<string, unknown>)[t];
  }
  if (!cur || typeof cur !== "object") throw unprocessable(`path ${path} does not exist`);
  return [cur as Container, ts.at(-1)!];
}

function get(doc: unknown, path: string): unknown {
  if (path === "") return doc;
  const [c, t] = parent(doc, path);
  const has = Array.isArray(c) ? /^\d+$/.test(t) && Number(t) < c.length : Object.hasOwn(c, t);
  if (!has) throw unprocessable(`path ${path} does not exist`);
  return (c as Record<string, unknown>)[t];
}

function put(doc: unknown, path: string, value: unknown, insert: boolean): unknown {
  if (path === "") return value;
  const [c, t] = parent(doc, path);
  if (Array.isArray(c)) {
    const i = t === "-" ? c.length : Number(t);
    if (!Number.isInteger(i) || i < 0 || i > c.length) throw unprocessable(`index ${t} is out of range at ${path}`);
    c.splice(i, insert ? 0 : 1, value);
  } else c[t] = value;
  return doc;
}

function take(doc: unknown, path: string): unknown {
  get(doc, path);
  const [c, t] = parent(doc, path);
  if (Array.isArray(c)) c.splice(Number(t), 1);
  else delete c[t];
  return doc;
}
