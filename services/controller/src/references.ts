// Checks between resources (FAILED_PRECONDITION / ALREADY_EXISTS). Run inside the write lock, so
// what they read cannot change before the write lands.
import { Kind, type Function as FnResource, type Recorder, type Resource } from "@fizz/proto";
import { alreadyExists, precondition } from "@fizz/common";
import { kindOf, metaOf } from "./kinds.js";
import { conflictingTrigger } from "./routes.js";
import type { ResourceStore } from "./store/store.js";

/** Checks what `r` points at and fills in derived fields (a function's package version). */
export async function checkReferences(store: ResourceStore, r: Resource): Promise<void> {
  if (r.kind.case === "function") return checkFunction(store, r.kind.value);
  if (r.kind.case === "recorder") return checkRecorder(store, r.kind.value);
  if (r.kind.case === "httpTrigger") {
    const other = conflictingTrigger(r.kind.value, await store.list(Kind.HTTP_TRIGGER));
    if (other) {
      const s = other.spec!;
      const path = s.prefix !== undefined ? `prefix ${s.prefix}` : s.relativeurl;
      const methods = s.methods.length ? s.methods.join(",") : "all methods";
      throw alreadyExists(
        `httptrigger "${metaOf(r).name}": httptrigger "${other.metadata!.name}" in namespace "${other.metadata!.namespace}" ` +
          `already serves ${s.host ? `host ${s.host} ` : ""}${path} (${methods}); change the path, host or methods, or delete that trigger`,
      );
    }
  }
}

async function checkFunction(store: ResourceStore, fn: FnResource): Promise<void> {
  const { name, namespace } = fn.metadata!;
  const envName = fn.spec!.environment!.name;
  const pref = fn.spec!.package!.packageref!;
  const missing: string[] = [];
  if (!(await store.get(Kind.ENVIRONMENT, namespace, envName))) missing.push(`environment "${envName}"`);
  const pkg = await store.get(Kind.PACKAGE, namespace, pref.name);
  if (!pkg) missing.push(`package "${pref.name}"`);
  if (missing.length)
    throw precondition(
      `function "${name}" refers to ${missing.join(" and ")}, which ${missing.length > 1 ? "do" : "does"} not exist in namespace "${namespace}"; create ${missing.length > 1 ? "them" : "it"} first`,
      "MISSING_REFERENCE",
    );
  // Watchers see a package change as a function change through this field.
  pref.resourceversion = metaOf(pkg!).resourceVersion;
}

async function checkRecorder(store: ResourceStore, rec: Recorder): Promise<void> {
  const { name, namespace } = rec.metadata!;
  const s = rec.spec!;
  const missing: string[] = [];
  if (s.function && !(await store.get(Kind.FUNCTION, namespace, s.function))) missing.push(`function "${s.function}"`);
  for (const t of s.triggers) if (!(await store.get(Kind.HTTP_TRIGGER, namespace, t))) missing.push(`httptrigger "${t}"`);
  if (missing.length)
    throw precondition(
      `recorder "${name}" refers to ${missing.join(" and ")}, which ${missing.length > 1 ? "do" : "does"} not exist in namespace "${namespace}"; create ${missing.length > 1 ? "them" : "it"} first`,
      "MISSING_REFERENCE",
    );
}

/** Resources that stop `r` from being deleted. */
export async function usersOf(store: ResourceStore, r: Resource): Promise<string[]> {
  const kind = kindOf(r).kind;
  const { namespace, name } = metaOf(r);
  const users: string[] = [];
  if (kind !== Kind.ENVIRONMENT && kind !== Kind.PACKAGE) return users;
  for (const f of await store.list(Kind.FUNCTION, namespace)) {
    if (f.kind.case !== "function") continue;
    const s = f.kind.value.spec;
    const uses = kind === Kind.ENVIRONMENT ? s?.environment?.name === name : s?.package?.packageref?.name === name;
    if (uses) users.push(`function "${metaOf(f).name}"`);
  }
  if (kind === Kind.ENVIRONMENT)
    for (const p of await store.list(Kind.PACKAGE, namespace))
      if (p.kind.case === "package" && p.kind.value.spec?.environment?.name === name) users.push(`package "${metaOf(p).name}"`);
  return users.sort();
}

export function refusedDelete(r: Resource, users: string[]) {
  const { namespace, name } = metaOf(r);
  return precondition(
    `${kindOf(r).name} "${name}" in namespace "${namespace}" is used by ${users.join(", ")}; delete or change ${users.length > 1 ? "them" : "it"} first`,
    "IN_USE",
  );
}

/** Functions whose spec.package.packageref points at package `name`. */
export async function functionsUsingPackage(store: ResourceStore, namespace: string, name: string): Promise<Resource[]> {
  return (await store.list(Kind.FUNCTION, namespace)).filter(
    (f) => f.kind.case === "function" && f.kind.value.spec?.package?.packageref?.name === name,
  );
}
