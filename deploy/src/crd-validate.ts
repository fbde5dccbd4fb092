// Validates documents against a CRD's OpenAPI schema the way the API server would with
// kubectl's default --validate=strict: wrong types and unknown fields are errors (not pruned),
// int32 ranges, base64 bytes and int-or-string patterns are checked. ajv does the work; this
// file only translates the Kubernetes extensions into JSON Schema.
import { Ajv, type ErrorObject } from "ajv";
import type { Schema } from "./crd-schema.js";

type Json = Record<string, unknown>;

function toJsonSchema(s: Schema): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith("x-kubernetes-") || k === "description") continue;
    if (k === "properties") out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([n, p]) => [n, toJsonSchema(p)]));
    else if (k === "items" || k === "additionalProperties") out[k] = toJsonSchema(v as Schema);
    else if (k === "anyOf") out[k] = (v as Schema[]).map(toJsonSchema);
    else out[k] = v;
  }
  if (s.type === "object" && s.properties && !s.additionalProperties && !s["x-kubernetes-preserve-unknown-fields"]) out["additionalProperties"] = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
ajv.addFormat("int32", { type: "number", validate: (n: number) => n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);

const where = (e: ErrorObject) => {
  const path = e.instancePath.slice(1).replaceAll("/", ".");
  const extra = e.keyword === "additionalProperties" ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : "";
  return `${path || "(root)"}: ${e.message ?? e.keyword}${extra}`;
};

export type DocValidator = (doc: unknown) => string[];

/** A validator for a CRD's stored version: doc → list of errors (empty when valid). */
export function crdValidator(crd: Json): DocValidator {
  const versions = (crd["spec"] as { versions: Array<{ storage: boolean; schema: { openAPIV3Schema: Schema } }> }).versions;
  const v = versions.find((x) => x.storage);
  if (!v) throw new Error("CRD has no storage version");
  const check = ajv.compile(toJsonSchema(v.schema.openAPIV3Schema));
  return (doc) => (check(doc) ? [] : (check.errors ?? []).map(where));
}
