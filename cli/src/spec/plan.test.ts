// Planning against a platform state: create / update / unchanged / delete with reasons, archive
// reuse by sha256, ownership by the deployment uid, and the order apply carries a plan out in.
import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { clone, create } from "@bufbuild/protobuf";
import { ArchiveSchema, EnvironmentSchema, HTTPTriggerSchema } from "@fizz/proto";
import type { KindValue } from "@fizz/clients/resources";
import { tree } from "../__fixtures__/platform.js";
import { ordered } from "./apply.js";
import { ArchiveBuilder, type BuiltArchive } from "./archives.js";
import { UID_LABEL, kindOfValue } from "./format.js";
import { readSpecs } from "./parse.js";
import { makePlan, type Plan } from "./plan.js";
import { keyOfValue, type PlatformState } from "./platform.js";
import { validateSpecs } from "./validate.js";

const CONFIG = "apiVersion: fizz.dev/v1\nkind: DeploymentConfig\nname: app\nuid: u-1\n";
const SPECS = [
  "apiVersion: fizz.dev/v1\nkind: Environment\nmetadata: { name: node }\nspec: { runtime: { image: nodejs }, poolsize: 1 }\n",
  "kind: ArchiveUploadSpec\nname: code\ninclude: [hello.js]\n",
  "apiVersion: fizz.dev/v1\nkind: Package\nmetadata: { name: p }\nspec:\n  environment: { name: node }\n  deployment: { url: archive://code }\n",
  "apiVersion: fizz.dev/v1\nkind: Function\nmetadata: { name: f }\nspec:\n  environment: { name: node }\n  package: { packageref: { name: p } }\n",
  "apiVersion: fizz.dev/v1\nkind: HTTPTrigger\nmetadata: { name: r }\nspec: { relativeurl: /f, functionref: { name: f } }\n",
].join("---\n");

async function setup(code = "module.exports = async () => ({ body: 'v1' });\n", specs = SPECS) {
  const dir = tree({ "hello.js": code, "specs/c.yaml": CONFIG, "specs/a.yaml": specs });
  const set = await readSpecs(join(dir, "specs"));
  const { normalized } = await validateSpecs(set, { all: new Map() });
  expect(set.errors).toEqual([]);
  const built = new Map<string, BuiltArchive>([["code", await new ArchiveBuilder().build(set.archives[0]!)]]);
  const resources = [...normalized.entries()].map(([res, value]) => ({ res, value }));
  return { set, built, resources, plan: (platform: PlatformState, del = false) => makePlan(resources, set.config!, platform, built, { delete: del }) };
}

/** The platform after a plan was applied as is (what the controller would store). */
function appliedState(plan: Plan): PlatformState {
  const all = new Map<string, KindValue>();
  for (const s of plan.steps) {
    if (s.action === "delete") continue;
    const v = clone(kindOfValue(s.desired!).schema, s.desired!) as KindValue;
    if (v.$typeName === "fizz.v1.Package")
      for (const u of s.uploads) v.spec![u.field] = create(ArchiveSchema, { type: "literal", literal: u.archive.zip, checksum: { type: "sha256", sum: u.archive.sha256 } });
    all.set(keyOfValue(v), v);
  }
  return { all };
}

const summary = (p: Plan) => p.steps.map((s) => `${s.action} ${s.kind.info.name} ${s.name}${s.reason ? `: ${s.reason}` : ""}`);

describe("makePlan", () => {
  it("creates everything on an empty platform, labelled with the deployment uid, uploading the archive", async () => {
    const { plan } = await setup();
    const p = plan({ all: new Map() });
    expect(summary(p)).toEqual([
      "create environment node",
      expect.stringMatching(/^create package p: deployment archive code: 1 file, sha256 [0-9a-f]{8}$/),
      "create function f",
      "create httptrigger r",
    ]);
    expect(p.steps.every((s) => s.desired?.metadata?.labels[UID_LABEL] === "u-1")).toBe(true);
    expect(p.steps[1]!.uploads.map((u) => u.field)).toEqual(["deployment"]);
  });

  it("is all unchanged after that plan landed, reusing the stored archive (nothing to upload)", async () => {
    const { plan } = await setup();
    const state = appliedState(plan({ all: new Map() }));
    const again = plan(state);
    expect(again.steps.map((s) => s.action)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(again.steps.flatMap((s) => s.uploads)).toEqual([]);
    const pkg = again.steps[1]!.desired!;
    expect(pkg.$typeName === "fizz.v1.Package" && pkg.spec?.deployment?.type).toBe("literal");
  });

  it("updates the package when the code changes, saying which archive and both checksums", async () => {
    const before = await setup();
    const state = appliedState(before.plan({ all: new Map() }));
    const after = await setup("module.exports = async () => ({ body: 'v2' });\n");
    const p = after.plan(state);
    const old = before.built.get("code")!.sha256.slice(0, 8);
    const now = after.built.get("code")!.sha256.slice(0, 8);
    expect(summary(p)).toEqual(["unchanged environment node", `update package p: deployment archive code changed (sha256 ${old} → ${now})`, "unchanged function f", "unchanged httptrigger r"]);
  });

  it("names the spec fields that changed", async () => {
    const state = appliedState((await setup()).plan({ all: new Map() }));
    const p = (await setup(undefined, SPECS.replace("poolsize: 1", "poolsize: 2"))).plan(state);
    expect(summary(p)[0]).toBe("update environment node: changed: spec.poolsize");
  });

  it("refuses to take over a resource of the same name it does not own", async () => {
    const foreign = create(EnvironmentSchema, { metadata: { name: "node", namespace: "default" }, spec: { runtime: { image: "nodejs" } } }) as KindValue;
    const p = (await setup()).plan({ all: new Map([[keyOfValue(foreign), foreign]]) });
    expect(p.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^environment "node" already exists in namespace "default" and does not belong to this deployment; rename it/)]);
    expect(p.steps.map((s) => s.name)).not.toContain("node");
  });

  it("deletes only resources of this uid that left the specs, and only with --delete", async () => {
    const state = appliedState((await setup()).plan({ all: new Map() }));
    const mine = create(HTTPTriggerSchema, { metadata: { name: "old", namespace: "default", labels: { [UID_LABEL]: "u-1" } }, spec: { relativeurl: "/old", functionref: { type: "name", name: "f" } } }) as KindValue;
    const theirs = create(HTTPTriggerSchema, { metadata: { name: "theirs", namespace: "default", labels: { [UID_LABEL]: "u-2" } }, spec: { relativeurl: "/t", functionref: { type: "name", name: "g" } } }) as KindValue;
    state.all.set(keyOfValue(mine), mine);
    state.all.set(keyOfValue(theirs), theirs);
    const { plan } = await setup();
    const kept = plan(state, false);
    expect(kept.steps.filter((s) => s.action === "delete")).toEqual([]);
    expect(kept.kept.map((s) => s.name)).toEqual(["old"]);
    const pruned = plan(state, true);
    expect(pruned.steps.filter((s) => s.action === "delete").map((s) => s.name)).toEqual(["old"]);
  });

  it("orders apply: departing triggers first, then writes by dependency, then departing functions, packages, environments", async () => {
    const state = appliedState((await setup()).plan({ all: new Map() }));
    // Next version of the specs: function f and its trigger renamed, everything else new too.
    const next = SPECS.replace(/name: f }/g, "name: g }").replace("metadata: { name: f }", "metadata: { name: g }").replace("metadata: { name: r }", "metadata: { name: s }").replace("name: node", "name: node2").replace(/name: node }/g, "name: node2 }");
    const p = (await setup(undefined, next)).plan(state, true);
    expect(ordered(p).map((s) => `${s.action} ${s.kind.info.name} ${s.name}`)).toEqual([
      "delete httptrigger r",
      "create environment node2",
      "update package p",
      "create function g",
      "create httptrigger s",
      "delete function f",
      "delete environment node",
    ]);
  });
});
