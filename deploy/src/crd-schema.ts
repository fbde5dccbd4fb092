// OpenAPI v3 (Kubernetes structural) schemas from protobuf-es message descriptors, so a CRD
// accepts exactly the proto3 JSON that the controller and CLI read and write: JSON field names,
// 64-bit integers as integer-or-string, bytes as base64, maps as additionalProperties, enums by
// name. The proto files stay the one place a field is declared.
import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { invalid } from "@fizz/common";

/** The subset of OpenAPI v3 that Kubernetes structural schemas use. */
export interface Schema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  required?: string[];
  enum?: string[];
  pattern?: string;
  minimum?: number;
  anyOf?: Schema[];
  "x-kubernetes-int-or-string"?: true;
  "x-kubernetes-preserve-unknown-fields"?: true;
}

// Proto JSON writes 64-bit integers as decimal strings and reads numbers too. This is the form
// Kubernetes' own int-or-string quantities take (anyOf + pattern + x-kubernetes-int-or-string).
const int64 = (signed: boolean): Schema => ({
  anyOf: [{ type: "integer" }, { type: "string" }],
  pattern: signed ? "^-?[0-9]+$" : "^[0-9]+$",
  "x-kubernetes-int-or-string": true,
});

function scalarSchema(t: ScalarType): Schema {
  switch (t) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: "number" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", minimum: 0 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return int64(true);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return int64(false);
  }
}

const enumSchema = (e: DescEnum): Schema => ({ type: "string", enum: e.values.map((v) => v.name) });

// Well-known types have their own JSON forms; the ones a resource could reasonably carry.
const WELL_KNOWN: Record<string, Schema> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", pattern: "^-?[0-9]+(\\.[0-9]+)?s$" },
  "google.protobuf.Struct": { type: "object", "x-kubernetes-preserve-unknown-fields": true },
};

/**
 * The schema of one message as proto3 JSON. Recursive messages cannot be expressed (structural
 * schemas have no references), so they are an error rather than a silently truncated schema.
 */
export function messageSchema(msg: DescMessage, seen: readonly string[] = []): Schema {
  const wk = WELL_KNOWN[msg.typeName];
  if (wk) return { ...wk };
  if (msg.typeName.startsWith("google.protobuf."))
    throw invalid(`${msg.typeName} has no CRD schema mapping; add it to WELL_KNOWN in crd-schema.ts`);
  if (seen.includes(msg.typeName))
    throw invalid(`${[...seen, msg.typeName].join(" → ")} is recursive; a CRD schema cannot express it`);
  const path = [...seen, msg.typeName];
  const properties: Record<string, Schema> = {};
  for (const f of msg.fields) properties[f.jsonName] = fieldSchema(f, path);
  return { type: "object", properties };
}

/** What to make of each kind of field; list and map wrap what their element became. */
export interface FieldVisitor<T> {
  scalar(t: ScalarType): T;
  enum(e: DescEnum): T;
  message(m: DescMessage): T;
  list(item: T): T;
  map(value: T): T;
}

/** One walk over a field's shape, shared by the schema generator and the tests' populator. */
export function visitField<T>(f: DescField, v: FieldVisitor<T>): T {
  switch (f.fieldKind) {
    case "scalar":
      return v.scalar(f.scalar);
    case "enum":
      return v.enum(f.enum);
    case "message":
      return v.message(f.message);
    case "list":
      return v.list(f.listKind === "scalar" ? v.scalar(f.scalar) : f.listKind === "enum" ? v.enum(f.enum) : v.message(f.message));
    case "map":
      return v.map(f.mapKind === "scalar" ? v.scalar(f.scalar) : f.mapKind === "enum" ? v.enum(f.enum) : v.message(f.message));
  }
}

const fieldSchema = (f: DescField, seen: readonly string[]): Schema =>
  visitField<Schema>(f, {
    scalar: scalarSchema,
    enum: enumSchema,
    message: (m) => messageSchema(m, seen),
    list: (items) => ({ type: "array", items }),
    map: (additionalProperties) => ({ type: "object", additionalProperties }),
  });
