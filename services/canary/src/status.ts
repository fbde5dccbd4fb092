// CanaryConfig status: read it, and append a step. The canary service is its only writer; every
// write carries the resourceVersion just read and is retried on a conflict with the config as
// it is then (someone changed its spec or annotations meanwhile).
import { create } from "@bufbuild/protobuf";
import { isFizzError } from "@fizz/common";
import { CANARY_ABORT_ANNOTATION, wrap, type AdminClient } from "@fizz/clients";
import { CanaryConfigStatusSchema, CanaryStepSchema, Kind, type CanaryConfig, type CanaryStep, type HTTPTrigger } from "@fizz/proto";
import type { CanaryStatus } from "./decide.js";

/** Oldest steps are dropped past this many (a canary waiting for traffic adds one per interval). */
export const HISTORY_LIMIT = 100;
const CONFLICT_RETRIES = 10;

const FINAL = new Set(["succeeded", "failed", "aborted"]);
export const isFinal = (c: CanaryConfig) => FINAL.has(c.status?.status ?? "");
export const abortRequested = (c: CanaryConfig) => c.metadata?.annotations[CANARY_ABORT_ANNOTATION] === "true";
/** The new function's weight as the last step left it. */
export const lastWeight = (c: CanaryConfig) => c.status?.history.at(-1)?.newWeight ?? 0;

export type StepRecord = Omit<CanaryStep, "$typeName" | "$unknown" | "time" | "requests" | "failures"> & { requests?: number; failures?: number };

interface Read {
  canaryConfig: CanaryConfig;
  httpTrigger: HTTPTrigger;
}

/** A resource's value as the controller has it now, or undefined when it does not exist. */
export async function readValue<C extends keyof Read>(admin: AdminClient, kind: Kind, c: C, namespace: string, name: string): Promise<Read[C] | undefined> {
  try {
    const r = await admin.get({ kind, namespace, name });
    return r.kind.case === c ? (r.kind.value as Read[C]) : undefined;
  } catch (err) {
    if (isFizzError(err, "NOT_FOUND")) return undefined;
    throw err;
  }
}

export const readCanary = (admin: AdminClient, namespace: string, name: string) => readValue(admin, Kind.CANARY_CONFIG, "canaryConfig", namespace, name);

/**
 * Appends `step` (stamped `at`) and sets the status; last_step_time becomes `at`. Resolves to the
 * stored config, or undefined when it was deleted or (unless the step is the abort itself) an
 * abort was requested meanwhile — the caller then reads it again and acts on that.
 */
export async function appendStep(admin: AdminClient, cfg: CanaryConfig, at: Date, step: StepRecord, status: CanaryStatus): Promise<CanaryConfig | undefined> {
  const { namespace, name } = cfg.metadata!;
  let cur: CanaryConfig | undefined = cfg;
  for (let i = 0; ; i++) {
    if (!cur || (status !== "aborted" && abortRequested(cur)) || (isFinal(cur) && i > 0)) return undefined;
    const time = at.toISOString();
    const history = [...(cur.status?.history ?? []), create(CanaryStepSchema, { ...step, time, requests: BigInt(step.requests ?? 0), failures: BigInt(step.failures ?? 0) })];
    const next = { ...cur, status: create(CanaryConfigStatusSchema, { status, history: history.slice(-HISTORY_LIMIT), lastStepTime: time }) };
    try {
      const r = await admin.update({ resource: wrap(next) });
      return r.kind.case === "canaryConfig" ? r.kind.value : undefined;
    } catch (err) {
      if (isFizzError(err, "NOT_FOUND")) return undefined;
      if (!isFizzError(err, "ABORTED") || i >= CONFLICT_RETRIES) throw err;
    }
    cur = await readCanary(admin, namespace, name);
  }
}
