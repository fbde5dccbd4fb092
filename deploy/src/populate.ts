// A message with every field set to a non-default value (scalars, enums, nested messages, one
// list element, one map entry): proto JSON then writes every field, which is what a CRD schema
// must accept. Used by the CRD tests; recursion is cut at depth 8.
import { create, ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { visitField } from "./crd-schema.js";

function scalar(t: ScalarType): unknown {
  switch (t) {
    case ScalarType.STRING:
      return "x";
    case ScalarType.BOOL:
      return true;
    case ScalarType.BYTES:
      return new Uint8Array([1, 2, 3]);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 0.5;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return -9007199254740993n; // beyond a double's integers: proto JSON writes it as a string
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 9007199254740993n;
    default:
      return 7;
  }
}

const value = (f: DescField, depth: number): unknown =>
  visitField<unknown>(f, {
    scalar,
    enum: (e) => e.values.at(-1)!.number,
    message: (m) => init(m, depth + 1),
    list: (item) => [item],
    map: (v) => ({ k: v }),
  });

function init(desc: DescMessage, depth: number): Record<string, unknown> {
  if (depth > 8) return {};
  return Object.fromEntries(desc.fields.filter((f) => !f.oneof).map((f) => [f.localName, value(f, depth)]));
}

export function fullyPopulated(desc: DescMessage): Message {
  return create(desc, init(desc, 0) as never);
}
