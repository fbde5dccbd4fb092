// Helpers over the Resource oneof: kinds, keys, metadata and Fission's defaults, so every
// service reads a resource the same way.
import { create } from "@bufbuild/protobuf";
import {
  Kind,
  ResourceSchema,
  type Environment,
  type Function as FnResource,
  type HTTPTrigger,
  type ObjectMeta,
  type Package,
  type Resource,
} from "@fizz/proto";
import { DEFAULT_NAMESPACE, invalid } from "@fizz/common";

export type ResourceCase = NonNullable<Resource["kind"]["case"]>;

export interface KindInfo {
  kind: Kind;
  case: ResourceCase;
  /** Singular name people use ("function", "httptrigger"). */
  name: string;
}

export const KINDS: readonly KindInfo[] = [
  { kind: Kind.ENVIRONMENT, case: "environment", name: "environment" },
  { kind: Kind.PACKAGE, case: "package", name: "package" },
  { kind: Kind.FUNCTION, case: "function", name: "function" },
  { kind: Kind.HTTP_TRIGGER, case: "httpTrigger", name: "httptrigger" },
];

const BY_KIND = new Map(KINDS.map((k) => [k.kind, k]));
const BY_CASE = new Map(KINDS.map((k) => [k.case, k]));

export function kindInfo(kind: Kind): KindInfo {
  const k = BY_KIND.get(kind);
  if (!k) throw invalid(`unknown resource kind ${kind}`);
  return k;
}

export function kindOf(r: Resource): KindInfo {
  const c = r.kind.case;
  const k = c && BY_CASE.get(c);
  if (!k) throw invalid("resource has no kind");
  return k;
}

export type KindValue = Environment | Package | FnResource | HTTPTrigger;

export function valueOf(r: Resource): KindValue {
  if (!r.kind.case) throw invalid("resource has no kind");
  return r.kind.value;
}

export function metaOf(r: Resource): ObjectMeta {
  const m = valueOf(r).metadata;
  if (!m) throw invalid(`${kindOf(r).name} has no metadata`);
  return m;
}

export function wrap(value: Environment): Resource;
export function wrap(value: Package): Resource;
export function wrap(value: FnResource): Resource;
export function wrap(value: HTTPTrigger): Resource;
export function wrap(value: KindValue): Resource {
  const c: ResourceCase =
    value.$typeName === "fizz.v1.Environment"
      ? "environment"
      : value.$typeName === "fizz.v1.Package"
        ? "package"
        : value.$typeName === "fizz.v1.Function"
          ? "function"
          : "httpTrigger";
  return create(ResourceSchema, { kind: { case: c, value } as Resource["kind"] });
}

export const nsOf = (m: { namespace?: string } | undefined) => m?.namespace || DEFAULT_NAMESPACE;

/** Map key for a namespaced name. */
export const keyOf = (namespace: string | undefined, name: string) => `${namespace || DEFAULT_NAMESPACE}/${name}`;

// ---- Fission defaults --------------------------------------------------------------------

export const DEFAULTS = {
  poolsize: 3,
  functionTimeout: 60,
  idletimeout: 120,
  concurrency: 500,
  requestsPerPod: 1,
  executorType: "poolmgr",
  specializationTimeout: 120,
  terminationGracePeriod: 10,
} as const;

export interface EffectiveFunctionSpec {
  functionTimeoutMs: number;
  idleTimeoutMs: number;
  concurrency: number;
  requestsPerPod: number;
  executorType: string;
  specializationTimeoutMs: number;
}

/** A function's runtime settings with Fission's defaults filled in. */
export function effectiveSpec(fn: FnResource): EffectiveFunctionSpec {
  const s = fn.spec;
  const es = s?.invokeStrategy?.executionStrategy;
  return {
    functionTimeoutMs: (s?.functionTimeout || DEFAULTS.functionTimeout) * 1000,
    idleTimeoutMs: (s?.idletimeout ?? DEFAULTS.idletimeout) * 1000,
    concurrency: s?.concurrency || DEFAULTS.concurrency,
    requestsPerPod: s?.requestsPerPod || DEFAULTS.requestsPerPod,
    executorType: es?.executorType || DEFAULTS.executorType,
    specializationTimeoutMs: (es?.specializationTimeout || DEFAULTS.specializationTimeout) * 1000,
  };
}

export function poolsizeOf(env: Environment): number {
  return env.spec?.poolsize ?? DEFAULTS.poolsize;
}
