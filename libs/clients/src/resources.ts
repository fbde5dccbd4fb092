// Helpers over the Resource oneof: kinds, keys, metadata and Fission's defaults, so every
// service reads a resource the same way.
import { create } from "@bufbuild/protobuf";
import {

  ResourceSchema,
  type Environment,
  type Function as FnResource,

  type Resource,
} from "@fizz/proto";
import { DEFAULT_NAMESPACE, invalid } from "@fizz/common";

export { KINDS, kindInfo, kindByName, kindOf, metaOf, type KindInfo, type ResourceCase } from "@fizz/proto";
import type { ResourceCase } from "@fizz/proto";

export type KindValue = NonNullable<Resource["kind"]["value"]>;

// The oneof case of each message type, so wrap() needs no per-kind code.
const CASE_OF_TYPE: Record<KindValue["$typeName"], ResourceCase> = {
  "fizz.v1.Environment": "environment",
  "fizz.v1.Package": "package",
  "fizz.v1.Function": "function",
  "fizz.v1.HTTPTrigger": "httpTrigger",
  "fizz.v1.Recorder": "recorder",
  "fizz.v1.TimeTrigger": "timeTrigger",
  "fizz.v1.MessageQueueTrigger": "messageQueueTrigger",
  "fizz.v1.CanaryConfig": "canaryConfig",
};

export function valueOf(r: Resource): KindValue {
  if (!r.kind.case) throw invalid("resource has no kind");
  return r.kind.value;
}

export function wrap(value: KindValue): Resource {
  return create(ResourceSchema, { kind: { case: CASE_OF_TYPE[value.$typeName], value } as Resource["kind"] });
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

/** Set to "true" on a CanaryConfig (`fizz canary abort`): the canary service stops it where it is. */
export const CANARY_ABORT_ANNOTATION = "fizz.dev/canary-abort";
