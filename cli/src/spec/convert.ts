// One converter for every kind: a YAML document's {metadata, spec} becomes the kind's protobuf
// message through protobuf-es `fromJson`, after a walk over the message schema that finds
// unknown fields (with their path, so they can be reported with a line) and, for fission.io/v1
// documents, maps Fission's Go-style keys (`InvokeStrategy`, `ExecutorType`, `MinScale`) onto
// the schema's fields case-insensitively. Fission fields Fizz does not implement are dropped
// with a warning.
import { fromJson, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import type { KindValue } from "@fizz/clients/resources";
import type { SpecKind } from "./format.js";

export type Path = Array<string | number>;

export interface FieldIssue {
  path: Path;
  message: string;
}

export interface Converted {
  value?: KindValue;
  errors: FieldIssue[];
  warnings: FieldIssue[];
}

/** Fission fields with no meaning here (Kubernetes pod shaping, ingress, CORS, status). */
const FISSION_ONLY = new Set([
  "ingressconfig",
  "podspec",
  "container",
  "corsconfig",
  "retainpods",
  "allowaccesstoexternalnetwork",
  "hpametrics",
  "hpabehavior",
  "functionendpointport",
  "loadendpointport",
  "loadendpointpath",
]);
/** Metadata the platform owns: read back from `get -o yaml` output, never applied. */
const SERVER_METADATA = new Set(["creationtimestamp", "resourceversion", "uid", "generation", "selflink", "managedfields"]);
const METADATA_FIELDS = ["name", "namespace", "labels", "annotations"];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const dotted = (p: Path) => p.map((s) => (typeof s === "number" ? `[${s}]` : s)).join(".").replace(/\.\[/g, "[");

function fieldFor(msg: DescMessage, key: string, loose: boolean): DescField | undefined {
  for (const f of msg.fields) if (f.jsonName === key || f.name === key) return f;
  if (!loose) return undefined;
  const k = key.toLowerCase().replace(/_/g, "");
  return msg.fields.find((f) => f.jsonName.toLowerCase() === k || f.name.replace(/_/g, "") === k);
}

interface Walk {
  loose: boolean;
  issues: Converted;
  /** "fizz.v1.FunctionSpec.function_timeout" → the path it came from, to place fromJson's errors. */
  where: Map<string, Path>;
}

/** A copy of `obj` keyed by the schema's JSON names, with unknown fields reported and dropped. */
function normalize(msg: DescMessage, obj: Record<string, unknown>, path: Path, w: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const p = [...path, key];
    const f = fieldFor(msg, key, w.loose);
    if (!f) {
      if (FISSION_ONLY.has(key.toLowerCase())) w.issues.warnings.push({ path: p, message: `${dotted(p)} is a Fission setting Fizz does not use; ignored` });
      else w.issues.errors.push({ path: p, message: `unknown field ${dotted(p)} (${msg.name} has ${msg.fields.map((x) => x.jsonName).join(", ")})` });
      continue;
    }
    w.where.set(`${msg.typeName}.${f.name}`, p);
    // Fission's allowedFunctionsPerContainer is a word ("single"); here it is a number.
    if (f.name === "allowed_functions_per_container" && typeof value === "string") {
      w.issues.warnings.push({ path: p, message: `${dotted(p)} "${value}" is a Fission workflow setting Fizz does not use; ignored` });
      continue;
    }
    out[f.jsonName] = convertValue(f, value, p, w);
  }
  return out;
}

function convertValue(f: DescField, value: unknown, p: Path, w: Walk): unknown {
  if (value === null || value === undefined) return null;
  if (f.fieldKind === "message" && isObject(value)) return normalize(f.message, value, p, w);
  if (f.fieldKind === "list" && f.listKind === "message" && Array.isArray(value))
    return value.map((v, i) => (isObject(v) ? normalize(f.message, v, [...p, i], w) : v));
  return value;
}

/** Converts one document (already known to be of `kind`); `fission` enables Fission's key spelling. */
export function convert(kind: SpecKind, doc: Record<string, unknown>, fission: boolean): Converted {
  const issues: Converted = { errors: [], warnings: [] };
  const w: Walk = { loose: fission, issues, where: new Map() };
  for (const key of Object.keys(doc)) {
    if (["apiVersion", "kind", "metadata", "spec"].includes(key)) continue;
    if (key === "status") issues.warnings.push({ path: [key], message: "status is set by the platform; ignored" });
    else issues.errors.push({ path: [key], message: `unknown field ${key} (a ${kind.name} document has apiVersion, kind, metadata, spec)` });
  }
  const meta = doc.metadata;
  if (!isObject(meta)) {
    issues.errors.push({ path: meta === undefined ? [] : ["metadata"], message: "metadata.name is required" });
    return issues;
  }
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (METADATA_FIELDS.includes(key)) metadata[key] = value;
    else if (!SERVER_METADATA.has(key.toLowerCase()))
      issues.errors.push({ path: ["metadata", key], message: `unknown field metadata.${key} (use name, namespace, labels, annotations)` });
  }
  const specField = kind.schema.fields.find((f) => f.name === "spec");
  const specMsg = specField?.fieldKind === "message" ? specField.message : undefined;
  const spec = doc.spec;
  if (spec !== undefined && spec !== null && !isObject(spec)) issues.errors.push({ path: ["spec"], message: "spec must be a mapping" });
  const body: Record<string, unknown> = { metadata };
  if (specMsg && isObject(spec)) body.spec = normalize(specMsg, spec, ["spec"], w);
  if (issues.errors.length) return issues;
  try {
    issues.value = fromJson(kind.schema, body as JsonValue, { ignoreUnknownFields: false }) as KindValue;
  } catch (err) {
    const msg = (err as Error).message;
    const m = /field ([\w.]+) from JSON/.exec(msg);
    const path = (m && w.where.get(m[1]!)) ?? (/ObjectMeta/.test(msg) ? ["metadata"] : ["spec"]);
    issues.errors.push({ path, message: `${dotted(path)}: ${msg.replace(/^cannot decode (message|field) [\w.]+ from JSON: ?/, "bad value ")}` });
  }
  return issues;
}
