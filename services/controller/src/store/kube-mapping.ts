// Resource ⇄ custom resource. The CR carries the proto JSON of spec (and status); Fizz's own
// metadata (global resource version, uid, generation, creation time) rides in annotations,
// because Kubernetes' resourceVersion is per object and its uid/generation are its own.
import { fromJson, toJson } from "@bufbuild/protobuf";
import { Kind, ResourceSchema, type Resource } from "@fizz/proto";
import { KINDS, kindOf, metaOf, type KindInfo } from "../kinds.js";

export const GROUP = "fizz.dev";
export const VERSION = "v1";
/** Why the controller does not serve a CR changed outside Fizz (removed once it is adopted). */
export const REJECTED_ANNOTATION = "fizz.dev/rejected";
const ANN = {
  resourceVersion: "fizz.dev/resource-version",
  uid: "fizz.dev/uid",
  generation: "fizz.dev/generation",
  created: "fizz.dev/creation-timestamp",
  rejected: REJECTED_ANNOTATION,
} as const;

export interface CrKind {
  info: KindInfo;
  /** Kubernetes kind (the message name) and plural (the CRD's, deploy/src/crds.ts). */
  kind: string;
  plural: string;
  /** The Resource oneof's JSON name. */
  jsonName: string;
  /** The CRD has a status subresource: status is written through /status only. */
  hasStatus: boolean;
}

export const CR_KINDS: readonly CrKind[] = KINDS.map((info) => {
  const field = ResourceSchema.fields.find((f) => f.localName === info.case);
  if (field?.fieldKind !== "message") throw new Error(`Resource has no message field for ${info.case}`);
  const hasStatus = field.message.fields.some((f) => f.localName === "status");
  return { info, kind: field.message.name, plural: `${info.name}s`, jsonName: field.jsonName, hasStatus };
});
const BY_KIND = new Map(CR_KINDS.map((k) => [k.info.kind, k]));
export const crKind = (kind: Kind): CrKind => BY_KIND.get(kind)!;

export interface CustomResource {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
  status?: unknown;
}

/** The CR for a resource; `kubeVersion` is the Kubernetes resourceVersion last seen (for updates). */
export function toCustomResource(r: Resource, kubeVersion?: string): CustomResource {
  const k = crKind(kindOf(r).kind);
  const json = (toJson(ResourceSchema, r) as Record<string, Record<string, unknown>>)[k.jsonName] ?? {};
  const m = metaOf(r);
  const annotations: Record<string, string> = { ...m.annotations, [ANN.resourceVersion]: m.resourceVersion, [ANN.uid]: m.uid, [ANN.generation]: String(m.generation), [ANN.created]: m.creationTimestamp };
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: k.kind,
    metadata: { name: m.name, namespace: m.namespace, labels: { ...m.labels }, annotations, ...(kubeVersion ? { resourceVersion: kubeVersion } : {}) },
    spec: json.spec ?? {},
    ...(json.status !== undefined ? { status: json.status } : {}),
  };
}

/**
 * The resource a CR holds. A CR written by someone else (kubectl apply) has no Fizz annotations:
 * its resourceVersion is then "" and the controller must issue one. Throws on content that is
 * not a valid resource of the kind.
 */
export function fromCustomResource(k: CrKind, cr: CustomResource): Resource {
  const { annotations = {}, labels = {}, name = "", namespace = "" } = cr.metadata ?? {};
  const own = Object.fromEntries(Object.entries(annotations).filter(([a]) => !Object.values(ANN).includes(a as never)));
  const metadata = {
    name,
    namespace,
    uid: annotations[ANN.uid] ?? "",
    resourceVersion: annotations[ANN.resourceVersion] ?? "",
    generation: annotations[ANN.generation] ?? "0",
    creationTimestamp: annotations[ANN.created] ?? "",
    labels,
    annotations: own,
  };
  const value = { metadata, spec: cr.spec ?? {}, ...(k.hasStatus && cr.status !== undefined ? { status: cr.status } : {}) };
  return fromJson(ResourceSchema, { [k.jsonName]: value } as never, { ignoreUnknownFields: true });
}

/** Fizz's version of a CR, 0 when it has none (written outside Fizz). */
export function fizzVersionOf(cr: CustomResource): number {
  const v = Number(cr.metadata?.annotations?.[ANN.resourceVersion] ?? 0);
  return Number.isSafeInteger(v) && v > 0 ? v : 0;
}
