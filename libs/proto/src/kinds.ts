// Hand-written helpers over the generated Resource oneof, shared by every service and client:
// the kinds, and lookups between Kind, the oneof case and the name people use.
import { invalid } from "@fizz/common";
import type { ObjectMeta } from "./gen/fizz/v1/meta_pb.js";
import { Kind, type Resource } from "./gen/fizz/v1/resources_pb.js";

export type ResourceCase = NonNullable<Resource["kind"]["case"]>;

export interface KindInfo {
  kind: Kind;
  case: ResourceCase;
  /** Singular name used in messages, the CLI and the store's directory names. */
  name: string;
}

export const KINDS: readonly KindInfo[] = [
  { kind: Kind.ENVIRONMENT, case: "environment", name: "environment" },
  { kind: Kind.PACKAGE, case: "package", name: "package" },
  { kind: Kind.FUNCTION, case: "function", name: "function" },
  { kind: Kind.HTTP_TRIGGER, case: "httpTrigger", name: "httptrigger" },
  { kind: Kind.RECORDER, case: "recorder", name: "recorder" },
  { kind: Kind.TIME_TRIGGER, case: "timeTrigger", name: "timetrigger" },
  { kind: Kind.MESSAGE_QUEUE_TRIGGER, case: "messageQueueTrigger", name: "messagequeuetrigger" },
  { kind: Kind.CANARY_CONFIG, case: "canaryConfig", name: "canaryconfig" },
];

const BY_KIND = new Map(KINDS.map((k) => [k.kind, k]));
const BY_CASE = new Map(KINDS.map((k) => [k.case, k]));
const BY_NAME = new Map(KINDS.map((k) => [k.name, k]));

export function kindInfo(kind: Kind): KindInfo {
  const k = BY_KIND.get(kind);
  if (!k) throw invalid(kind === Kind.UNSPECIFIED ? "kind is required" : `unknown resource kind ${kind}`);
  return k;
}

export const kindByName = (name: string): KindInfo | undefined => BY_NAME.get(name);

export function kindOf(r: Resource | undefined): KindInfo {
  const c = r?.kind.case;
  const k = c && BY_CASE.get(c);
  if (!k) throw invalid(`resource is required and must be one of ${KINDS.map((i) => i.case).join(", ")}`);
  return k;
}

/** The metadata of a resource (always present on stored resources). */
export function metaOf(r: Resource): ObjectMeta {
  const m = r.kind.value?.metadata;
  if (!m) throw invalid(`${kindOf(r).name} has no metadata`);
  return m;
}
