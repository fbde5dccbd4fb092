// Shape checks (INVALID_ARGUMENT) and normalization of a resource before it is stored. Runs on
// every Create and Update; references to other resources are checked in references.ts.
import { create } from "@bufbuild/protobuf";
import {
  PackageStatusSchema,
  type Archive,
  type Environment,
  type Function as FnResource,
  type Package,
  type Recorder,
  type Resource,
} from "@fizz/proto";
import { checkName, invalid, parseDurationSeconds } from "@fizz/common";
import { kindOf, metaOf } from "./kinds.js";
import { validateHttpTrigger } from "./routes.js";
import { validateCanaryConfig, validateMessageQueueTrigger, validateTimeTrigger } from "./validate-triggers.js";
import { checkNamed, type Fail } from "./validate-common.js";

export type { Fail } from "./validate-common.js";

export const BUILD_STATUSES = ["pending", "running", "succeeded", "failed", "none"] as const;
export const EXECUTOR_TYPES = ["poolmgr", "newdeploy"] as const;

/** Checks names and spec of a resource whose namespace is already defaulted; fixes it up in place. */
export function validate(r: Resource): void {
  const meta = metaOf(r);
  const what = `${kindOf(r).name} "${meta.name}"`;
  checkName(meta.name, `${kindOf(r).name} name`);
  checkName(meta.namespace, "namespace");
  const fail = (msg: string) => invalid(`${what}: ${msg}`);
  switch (r.kind.case) {
    case "environment":
      return validateEnvironment(r.kind.value, fail);
    case "package":
      return validatePackage(r.kind.value, fail);
    case "function":
      return validateFunction(r.kind.value, fail);
    case "httpTrigger":
      return validateHttpTrigger(r.kind.value, fail);
    case "recorder":
      return validateRecorder(r.kind.value, fail);
    case "timeTrigger":
      return validateTimeTrigger(r.kind.value, fail);
    case "messageQueueTrigger":
      return validateMessageQueueTrigger(r.kind.value, fail);
    case "canaryConfig":
      return validateCanaryConfig(r.kind.value, fail);
  }
}


function validateEnvironment(env: Environment, fail: Fail): void {
  const s = env.spec;
  if (!s?.runtime?.image) throw fail("spec.runtime.image is required (a built-in runtime such as nodejs, python, exec, or an image name)");
  if (![0, 1, 2, 3].includes(s.version)) throw fail(`spec.version ${s.version} is not supported: use 1, 2 or 3 (0 means the default, 2)`);
  if (s.poolsize !== undefined && s.poolsize < 0) throw fail(`spec.poolsize must be 0 or more, got ${s.poolsize}`);
  if (s.terminationGracePeriod !== undefined && s.terminationGracePeriod < 0n)
    throw fail(`spec.terminationGracePeriod must be 0 or more, got ${s.terminationGracePeriod}`);
}

/** A reference in the same namespace as its owner: the namespace is filled in when empty. */
function checkRef(ref: { name: string; namespace: string } | undefined, field: string, namespace: string, fail: Fail): void {
  if (!ref?.name) throw fail(`${field}.name is required`);
  checkNamed(ref.name, `${field}.name`, fail);
  if (ref.namespace && ref.namespace !== namespace)
    throw fail(`${field} must be in the same namespace ("${namespace}"), not "${ref.namespace}"`);
  ref.namespace = namespace;
}

const given = (a: Archive | undefined): a is Archive => !!a && (!!a.type || a.literal.length > 0 || !!a.url);

function checkArchive(a: Archive, field: string, fail: Fail): void {
  // Fission's CLI always sets the type; infer it for hand-written specs.
  if (!a.type) a.type = a.url ? "url" : "literal";
  if (a.type === "literal") {
    if (a.literal.length === 0) throw fail(`${field} is a literal archive with no content`);
    if (a.url) throw fail(`${field} has both literal content and a url; give one`);
  } else if (a.type === "url") {
    if (!a.url) throw fail(`${field}.url is required for an archive of type "url"`);
    if (a.literal.length > 0) throw fail(`${field} has both literal content and a url; give one`);
  } else throw fail(`${field}.type "${a.type}" is not supported: use "literal" or "url"`);
  const c = a.checksum;
  if (c && (c.type || c.sum)) {
    if (!c.type) c.type = "sha256";
    if (c.type !== "sha256") throw fail(`${field}.checksum.type "${c.type}" is not supported: use "sha256"`);
    c.sum = c.sum.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(c.sum)) throw fail(`${field}.checksum.sum must be 64 hexadecimal characters (a sha256 digest)`);
  } else a.checksum = undefined;
}

function validatePackage(pkg: Package, fail: Fail): void {
  const s = pkg.spec;
  const ns = pkg.metadata!.namespace;
  if (!s) throw fail("spec is required (spec.environment and spec.deployment or spec.source)");
  checkRef(s.environment, "spec.environment", ns, fail);
  const src = given(s.source);
  const dep = given(s.deployment);
  if (!src && !dep) throw fail("spec.deployment or spec.source is required (the function's code)");
  if (src) checkArchive(s.source!, "spec.source", fail);
  else s.source = undefined;
  if (dep) checkArchive(s.deployment!, "spec.deployment", fail);
  else s.deployment = undefined;
  const status = (pkg.status ??= create(PackageStatusSchema));
  // A source archive still has to be built; a deployment archive alone is ready to run.
  if (!status.buildstatus) status.buildstatus = src ? "pending" : "succeeded";
  if (!(BUILD_STATUSES as readonly string[]).includes(status.buildstatus))
    throw fail(`status.buildstatus "${status.buildstatus}" is not one of ${BUILD_STATUSES.join(", ")}`);
}

function validateFunction(fn: FnResource, fail: Fail): void {
  const s = fn.spec;
  const ns = fn.metadata!.namespace;
  if (!s) throw fail("spec is required (spec.environment and spec.package)");
  checkRef(s.environment, "spec.environment", ns, fail);
  checkRef(s.package?.packageref, "spec.package.packageref", ns, fail);
  for (const [field, v] of [
    ["functionTimeout", s.functionTimeout],
    ["idletimeout", s.idletimeout],
    ["concurrency", s.concurrency],
    ["requestsPerPod", s.requestsPerPod],
  ] as const) {
    if (v !== undefined && v < 0) throw fail(`spec.${field} must be 0 or more (0 means the default), got ${v}`);
  }
  const inv = s.invokeStrategy;
  if (inv?.strategyType && inv.strategyType !== "execution")
    throw fail(`spec.invokeStrategy.strategyType "${inv.strategyType}" is not supported: use "execution"`);
  const es = inv?.executionStrategy;
  if (!es) return;
  if (es.executorType && !(EXECUTOR_TYPES as readonly string[]).includes(es.executorType))
    throw fail(`spec.invokeStrategy.executionStrategy.executorType "${es.executorType}" is not one of ${EXECUTOR_TYPES.join(", ")}`);
  for (const [field, v] of [
    ["minScale", es.minScale],
    ["maxScale", es.maxScale],
    ["targetCpuPercent", es.targetCpuPercent],
    ["specializationTimeout", es.specializationTimeout],
  ] as const) {
    if (v < 0) throw fail(`spec.invokeStrategy.executionStrategy.${field} must be 0 or more, got ${v}`);
  }
  if (es.maxScale > 0 && es.maxScale < es.minScale)
    throw fail(`spec.invokeStrategy.executionStrategy.maxScale (${es.maxScale}) is less than minScale (${es.minScale})`);
}

export const RECORDER_DEFAULTS = { retention: "24h", maxBodyBytes: 65536, redactHeaders: ["authorization", "cookie"] } as const;

function validateRecorder(rec: Recorder, fail: Fail): void {
  const s = rec.spec;
  if (!s) throw fail("spec is required (spec.function and/or spec.triggers)");
  if (!s.function && s.triggers.length === 0) throw fail("spec.function or spec.triggers is required (what to record)");
  if (s.function) checkNamed(s.function, "spec.function", fail);
  for (const t of s.triggers) checkNamed(t, "spec.triggers", fail);
  s.triggers = [...new Set(s.triggers)];
  if (s.sampleRate === undefined) s.sampleRate = 1;
  if (!(s.sampleRate > 0 && s.sampleRate <= 1)) throw fail(`spec.sample_rate must be more than 0 and at most 1, got ${s.sampleRate}`);
  // Stored normalized so every router reads the same retention.
  s.retention = s.retention.trim().toLowerCase() || RECORDER_DEFAULTS.retention;
  const secs = parseDurationSeconds(s.retention);
  if (!secs) throw fail(`spec.retention "${s.retention}" must be a positive duration such as "90s", "30m", "72h" or "7d"`);
  if (s.maxBodyBytes === undefined) s.maxBodyBytes = RECORDER_DEFAULTS.maxBodyBytes;
  if (s.maxBodyBytes < 0) throw fail(`spec.max_body_bytes must be 0 or more, got ${s.maxBodyBytes}`);
  const headers = s.redactHeaders.map((h) => h.trim().toLowerCase()).filter(Boolean);
  s.redactHeaders = headers.length ? [...new Set(headers)] : [...RECORDER_DEFAULTS.redactHeaders];
}
