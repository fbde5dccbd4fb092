// Every check that can be made before anything is applied, over the whole directory at once:
// each resource through the controller's own validation (the same code the admin API runs, so
// local and server never disagree), duplicate names, references to what is neither in the specs
// nor on the platform, archive:// references, globs that match nothing, and route conflicts
// (the controller's own conflict rule, across specs and other deployments' triggers).
import { clone, create } from "@bufbuild/protobuf";
import { ArchiveSchema, type Archive, type HTTPTrigger, type Resource } from "@fizz/proto";
import { wrap, type KindValue } from "@fizz/clients/resources";
import { validate as controllerValidate } from "@fizz/controller/validate";
import { conflictingTrigger } from "@fizz/controller/routes";
import { matchArchive } from "./archives.js";
import {
  ARCHIVE_PREFIX,
  at,
  keyOf,
  nameOf,
  namespaceOf,
  specKindOfCase,
  type SpecResource,
  type SpecSet,
} from "./format.js";
import { isOwned, type PlatformState } from "./platform.js";

export interface Validated {
  /** Each resource as the controller would store it (defaults filled, names normalised). */
  normalized: Map<SpecResource, KindValue>;
}

type Ref = { kind: string; name: string; path: Array<string | number> };

/** What a resource points at, by kind (the spec kinds' singular names). */
function referencesOf(v: KindValue): Ref[] {
  const fnRefs = (ref: { type: string; name: string; functionweights: Record<string, number> } | undefined, path: string[]): Ref[] =>
    !ref ? [] : ref.type === "function-weights" ? Object.keys(ref.functionweights).map((name) => ({ kind: "function", name, path: [...path, "functionweights"] })) : ref.name ? [{ kind: "function", name: ref.name, path: [...path, "name"] }] : [];
  switch (v.$typeName) {
    case "fizz.v1.Package":
      return v.spec?.environment?.name ? [{ kind: "environment", name: v.spec.environment.name, path: ["spec", "environment"] }] : [];
    case "fizz.v1.Function":
      return [
        ...(v.spec?.environment?.name ? [{ kind: "environment", name: v.spec.environment.name, path: ["spec", "environment"] }] : []),
        ...(v.spec?.package?.packageref?.name ? [{ kind: "package", name: v.spec.package.packageref.name, path: ["spec", "package"] }] : []),
      ];
    case "fizz.v1.HTTPTrigger":
    case "fizz.v1.TimeTrigger":
    case "fizz.v1.MessageQueueTrigger":
      return fnRefs(v.spec?.functionref, ["spec", "functionref"]);
    case "fizz.v1.CanaryConfig":
      return [
        ...(v.spec?.trigger ? [{ kind: "httptrigger", name: v.spec.trigger, path: ["spec", "trigger"] }] : []),
        ...(v.spec?.newfunction ? [{ kind: "function", name: v.spec.newfunction, path: ["spec", "newfunction"] }] : []),
        ...(v.spec?.oldfunction ? [{ kind: "function", name: v.spec.oldfunction, path: ["spec", "oldfunction"] }] : []),
      ];
    case "fizz.v1.Recorder":
      return [
        ...(v.spec?.function ? [{ kind: "function", name: v.spec.function, path: ["spec", "function"] }] : []),
        ...(v.spec?.triggers ?? []).map((name, i) => ({ kind: "httptrigger", name, path: ["spec", "triggers", i] })),
      ];
    default:
      return [];
  }
}

/** The package's archive:// references: field → archive name. */
export function archiveRefs(v: KindValue): Array<{ field: "source" | "deployment"; name: string }> {
  if (v.$typeName !== "fizz.v1.Package") return [];
  const out: Array<{ field: "source" | "deployment"; name: string }> = [];
  for (const field of ["source", "deployment"] as const) {
    const url = v.spec?.[field]?.url ?? "";
    if (url.startsWith(ARCHIVE_PREFIX)) out.push({ field, name: url.slice(ARCHIVE_PREFIX.length) });
  }
  return out;
}

// The controller needs content to validate a package; archive:// stands for content made later.
const PLACEHOLDER = (): Archive => create(ArchiveSchema, { type: "literal", literal: new Uint8Array([0]) });

/** Runs every check, adding problems to `set`; `platform` undefined means it could not be asked. */
export async function validateSpecs(set: SpecSet, platform: PlatformState | undefined): Promise<Validated> {
  const normalized = new Map<SpecResource, KindValue>();
  const err = (r: SpecResource, path: Array<string | number>, message: string) => set.errors.push({ loc: { file: r.loc.file, line: r.lineOf(path) }, message });
  if (!set.config) set.errors.push({ message: `no DeploymentConfig in ${set.dir} (create one with: fizz spec init)` });

  const byKey = new Map<string, SpecResource>();
  for (const r of set.resources) {
    const key = keyOf(r.kind, namespaceOf(r.value), nameOf(r.value));
    const first = byKey.get(key);
    if (first) err(r, ["metadata", "name"], `${r.kind.info.name} "${nameOf(r.value)}" is defined twice (also at ${at(first.loc)})`);
    else byKey.set(key, r);
  }

  const archives = new Map<string, boolean>();
  for (const a of set.archives) {
    if (archives.has(a.name)) set.errors.push({ loc: a.loc, message: `archive "${a.name}" is defined twice` });
    archives.set(a.name, false);
    const { empty } = await matchArchive(a);
    for (const g of empty) set.errors.push({ loc: a.loc, message: `archive "${a.name}": include "${g}" matches no file in ${a.rootdir}` });
  }

  for (const r of set.resources) {
    const ns = namespaceOf(r.value);
    for (const ref of archiveRefs(r.value)) {
      if (archives.has(ref.name)) archives.set(ref.name, true);
      else err(r, ["spec", ref.field, "url"], `package "${nameOf(r.value)}" refers to archive "${ref.name}", which no ArchiveUploadSpec defines`);
    }
    for (const ref of referencesOf(r.value)) {
      const k = specKindOfCase(ref.kind === "httptrigger" ? "httpTrigger" : ref.kind);
      const key = keyOf(k, ns, ref.name);
      if (byKey.has(key) || set.declared.has(key) || platform?.all.has(key)) continue;
      const what = `${r.kind.info.name} "${nameOf(r.value)}" refers to ${ref.kind} "${ref.name}", which is not in the specs`;
      if (platform) err(r, ref.path, `${what} nor on the platform`);
      else set.warnings.push({ loc: { file: r.loc.file, line: r.lineOf(ref.path) }, message: `${what} (the platform could not be asked whether it exists)` });
    }
    // The controller's checks, on a copy (they fill in defaults, which the plan compares).
    const copy = clone(r.kind.schema, r.value) as KindValue;
    const refs = archiveRefs(copy);
    if (copy.$typeName === "fizz.v1.Package") for (const ref of refs) copy.spec![ref.field] = PLACEHOLDER();
    try {
      controllerValidate(wrap(copy));
    } catch (e) {
      err(r, [], (e as Error).message);
      continue;
    }
    if (copy.$typeName === "fizz.v1.Package") {
      for (const ref of refs) copy.spec![ref.field] = create(ArchiveSchema, { type: "url", url: `${ARCHIVE_PREFIX}${ref.name}` });
      copy.status = undefined;
    }
    normalized.set(r, copy);
  }
  for (const a of set.archives) if (archives.get(a.name) === false) set.warnings.push({ loc: a.loc, message: `archive "${a.name}" is not used by any package` });

  // Route conflicts: within the specs, and with triggers other deployments own.
  const triggers = [...normalized.entries()].filter(([, v]) => v.$typeName === "fizz.v1.HTTPTrigger") as Array<[SpecResource, HTTPTrigger]>;
  const others: Resource[] = [];
  for (const v of platform?.all.values() ?? [])
    if (v.$typeName === "fizz.v1.HTTPTrigger" && !byKey.has(keyOf(specKindOfCase("httpTrigger"), namespaceOf(v), nameOf(v))) && !isOwned(v, set.config?.uid))
      others.push(wrap(v));
  triggers.forEach(([r, t], i) => {
    const earlier = triggers.slice(0, i).map(([, o]) => wrap(o));
    const clash = conflictingTrigger(t, [...earlier, ...others]);
    if (!clash) return;
    const inSpecs = triggers.find(([, o]) => o === clash);
    const where = inSpecs ? `httptrigger "${nameOf(clash)}" at ${at(inSpecs[0].loc)}` : `httptrigger "${nameOf(clash)}" on the platform (not of this deployment)`;
    err(r, ["spec"], `httptrigger "${nameOf(t)}" serves the same route as ${where}`);
  });
  return { normalized };
}
