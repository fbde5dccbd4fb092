// The plan: for every resource, create / update / delete / unchanged, and why. Desired resources
// are the controller-normalised spec resources, labelled with the deployment uid; archive://
// references become the built archive's sha256, and when the package on the platform already
// points at an archive with that sha256, its archive is reused as it is (nothing is uploaded,
// nothing rebuilt). Resources of the same name that this deployment does not own are errors,
// never taken over.
import { clone, create, toJson, type JsonValue } from "@bufbuild/protobuf";
import { ArchiveSchema, ChecksumSchema, type Archive } from "@fizz/proto";
import type { KindValue } from "@fizz/clients/resources";
import { sha256Hex } from "@fizz/clients/storage";
import type { BuiltArchive } from "./archives.js";
import {
  FISSION_NAME_ANNOTATION,
  FISSION_UID_ANNOTATION,
  UID_LABEL,
  at,
  kindOfValue,
  nameOf,
  namespaceOf,
  type DeploymentConfig,
  type Problem,
  type SpecKind,
  type SpecResource,
} from "./format.js";
import { isOwned, keyOfValue, ownedBy, type PlatformState } from "./platform.js";
import { archiveRefs } from "./validate.js";

export type Action = "create" | "update" | "delete" | "unchanged";

export interface Upload {
  field: "source" | "deployment";
  archive: BuiltArchive;
}

export interface Step {
  action: Action;
  kind: SpecKind;
  name: string;
  namespace: string;
  reason: string;
  desired?: KindValue;
  existing?: KindValue;
  /** Archives to send before the package is written (changed content only). */
  uploads: Upload[];
}

export interface Plan {
  steps: Step[];
  errors: Problem[];
  /** Resources of this deployment no longer in the specs, kept because --delete was not given. */
  kept: Step[];
}

const short = (sum: string | undefined) => (sum ? sum.slice(0, 8) : "none");
const sumOf = (a: Archive | undefined) => (!a ? "" : a.checksum?.sum || (a.literal.length ? sha256Hex(a.literal) : a.url));
const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** The desired resource: labelled, archives resolved against what the platform holds. */
function desiredOf(v: KindValue, config: DeploymentConfig, existing: KindValue | undefined, built: Map<string, BuiltArchive>): { desired: KindValue; uploads: Upload[] } {
  const d = clone(kindOfValue(v).schema, v) as KindValue;
  const meta = d.metadata!;
  meta.labels[UID_LABEL] = config.uid;
  if (config.fission) {
    meta.annotations[FISSION_UID_ANNOTATION] = config.uid;
    if (config.name) meta.annotations[FISSION_NAME_ANNOTATION] = config.name;
  }
  const uploads: Upload[] = [];
  if (d.$typeName === "fizz.v1.Package")
    for (const ref of archiveRefs(d)) {
      const b = built.get(ref.name)!;
      const old = existing?.$typeName === "fizz.v1.Package" ? existing.spec?.[ref.field] : undefined;
      if (old && sumOf(old) === b.sha256) d.spec![ref.field] = clone(ArchiveSchema, old);
      else {
        // Stands for the archive until apply uploads it; only the checksum is compared.
        d.spec![ref.field] = create(ArchiveSchema, { type: "url", url: `archive://${ref.name}`, checksum: create(ChecksumSchema, { type: "sha256", sum: b.sha256 }) });
        uploads.push({ field: ref.field, archive: b });
      }
    }
  return { desired: d, uploads };
}

/** The parts of a resource a spec declares, as JSON: spec, labels, annotations; archives by checksum. */
function comparable(v: KindValue): Record<string, JsonValue> {
  const c = clone(kindOfValue(v).schema, v) as KindValue;
  if (c.$typeName === "fizz.v1.Package" && c.spec) {
    for (const f of ["source", "deployment"] as const) {
      const a = c.spec[f];
      if (a) c.spec[f] = create(ArchiveSchema, { checksum: { type: "sha256", sum: sumOf(a) } });
    }
  }
  if (c.$typeName === "fizz.v1.Function" && c.spec?.package?.packageref) c.spec.package.packageref.resourceversion = "";
  const json = toJson(kindOfValue(v).schema, c) as Record<string, JsonValue>;
  return { spec: json.spec ?? {} };
}

function whyChanged(d: KindValue, e: KindValue, uploads: Upload[]): string | undefined {
  const reasons: string[] = [];
  for (const u of uploads) {
    const old = e.$typeName === "fizz.v1.Package" ? e.spec?.[u.field] : undefined;
    reasons.push(`${u.field} archive ${u.archive.name} changed (sha256 ${short(sumOf(old))} → ${short(u.archive.sha256)})`);
  }
  const a = comparable(d).spec as Record<string, JsonValue>;
  const b = comparable(e).spec as Record<string, JsonValue>;
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  const archiveFields = new Set(uploads.map((u) => u.field));
  const other = fields.filter((f) => !archiveFields.has(f as "source"));
  if (other.length) reasons.push(`changed: ${other.map((f) => `spec.${f}`).join(", ")}`);
  if (!sameMap(d.metadata!.labels, e.metadata?.labels ?? {})) reasons.push("labels changed");
  if (!sameMap(d.metadata!.annotations, e.metadata?.annotations ?? {})) reasons.push("annotations changed");
  return reasons.length ? reasons.join("; ") : undefined;
}

export function makePlan(
  resources: Array<{ res: SpecResource; value: KindValue }>,
  config: DeploymentConfig,
  platform: PlatformState,
  built: Map<string, BuiltArchive>,
  opts: { delete: boolean },
): Plan {
  const plan: Plan = { steps: [], errors: [], kept: [] };
  const wanted = new Set<string>();
  for (const { res, value } of resources) {
    const key = keyOfValue(value);
    wanted.add(key);
    const existing = platform.all.get(key);
    const base = { kind: res.kind, name: nameOf(value), namespace: namespaceOf(value) };
    if (existing && !isOwned(existing, config.uid)) {
      plan.errors.push({
        loc: res.loc,
        message: `${res.kind.info.name} "${base.name}" already exists in namespace "${base.namespace}" and does not belong to this deployment; rename it in the specs or delete it first (${at(res.loc)})`,
      });
      continue;
    }
    const { desired, uploads } = desiredOf(value, config, existing, built);
    if (!existing) {
      const what = uploads.map((u) => `${u.field} archive ${u.archive.name}: ${u.archive.files.length} file${u.archive.files.length === 1 ? "" : "s"}, sha256 ${short(u.archive.sha256)}`);
      plan.steps.push({ ...base, action: "create", reason: what.join("; "), desired, uploads });
      continue;
    }
    const why = whyChanged(desired, existing, uploads);
    plan.steps.push({ ...base, action: why ? "update" : "unchanged", reason: why ?? "", desired, existing, uploads: why ? uploads : [] });
  }
  for (const v of ownedBy(platform, config.uid)) {
    if (wanted.has(keyOfValue(v))) continue;
    const step: Step = { action: "delete", kind: kindOfValue(v), name: nameOf(v), namespace: namespaceOf(v), reason: "no longer in the specs", existing: v, uploads: [] };
    if (opts.delete) plan.steps.push(step);
    else plan.kept.push(step);
  }
  return plan;
}

export function counts(steps: Step[]): Record<Action, number> {
  const c: Record<Action, number> = { create: 0, update: 0, delete: 0, unchanged: 0 };
  for (const s of steps) c[s.action]++;
  return c;
}
