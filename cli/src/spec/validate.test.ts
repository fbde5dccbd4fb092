// spec validate: one small spec directory per kind of problem, each reported with file:line,
// and a directory with several problems reporting all of them.
import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSchema, HTTPTriggerSchema } from "@fizz/proto";
import type { KindValue } from "@fizz/clients/resources";
import { tree } from "../__fixtures__/platform.js";
import { keyOf, specKind } from "./format.js";
import { readSpecs } from "./parse.js";
import type { PlatformState } from "./platform.js";
import { validateSpecs } from "./validate.js";

const CONFIG = "apiVersion: fizz.dev/v1\nkind: DeploymentConfig\nname: app\nuid: u-1\n";
const ENV = "apiVersion: fizz.dev/v1\nkind: Environment\nmetadata: { name: node }\nspec: { runtime: { image: nodejs } }\n";
const PKG = "kind: ArchiveUploadSpec\nname: code\ninclude: [hello.js]\n---\napiVersion: fizz.dev/v1\nkind: Package\nmetadata: { name: p }\nspec:\n  environment: { name: node }\n  deployment: { url: archive://code }\n";
const FN = "apiVersion: fizz.dev/v1\nkind: Function\nmetadata: { name: f }\nspec:\n  environment: { name: node }\n  package: { packageref: { name: p } }\n";
const route = (name: string, url: string, fn = "f", methods = "[GET]") =>
  `apiVersion: fizz.dev/v1\nkind: HTTPTrigger\nmetadata: { name: ${name} }\nspec: { relativeurl: ${url}, methods: ${methods}, functionref: { name: ${fn} } }\n`;

/** Problems of a spec directory as "file:line message" (file without its directory). */
async function problems(files: Record<string, string>, platform?: PlatformState) {
  const dir = tree({ "hello.js": "module.exports = async () => ({ body: 'hi' });\n", "specs/c.yaml": CONFIG, ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`specs/${k}`, v])) });
  const set = await readSpecs(join(dir, "specs"));
  await validateSpecs(set, platform ?? { all: new Map() });
  const fmt = (p: { loc?: { file: string; line: number }; message: string }) => `${p.loc ? `${p.loc.file.split("/").pop()}:${p.loc.line} ` : ""}${p.message}`;
  return { errors: set.errors.map(fmt), warnings: set.warnings.map(fmt) };
}

describe("validateSpecs", () => {
  it("accepts a complete, consistent directory", async () => {
    const r = await problems({ "a.yaml": [ENV, PKG, FN, route("r", "/f")].join("---\n") });
    expect(r).toEqual({ errors: [], warnings: [] });
  });

  it("schema: the controller's own field rules, at the resource", async () => {
    const r = await problems({ "e.yaml": "apiVersion: fizz.dev/v1\nkind: Environment\nmetadata: { name: node }\nspec: { runtime: { image: nodejs }, version: 7 }\n" });
    expect(r.errors).toEqual(['e.yaml:1 environment "node": spec.version 7 is not supported: use 1, 2 or 3 (0 means the default, 2)']);
  });

  it("schema: a trigger on a path the router serves itself (it would never be called)", async () => {
    const r = await problems({ "a.yaml": [ENV, PKG, FN, route("m", "/metrics"), route("i", "'/fizz-invocations/{id}'")].join("---\n") });
    expect(r.errors).toEqual([
      expect.stringMatching(/^a\.yaml:\d+ httptrigger "m": spec\.relativeurl "\/metrics" is reserved by the router \(\/metrics\); pick another path/),
      expect.stringMatching(/^a\.yaml:\d+ httptrigger "i": spec\.relativeurl "\/fizz-invocations\/\{id\}" is reserved by the router \(\/fizz-invocations\/…\)/),
    ]);
  });

  it("names: an invalid name is reported by the controller's rule", async () => {
    const r = await problems({ "e.yaml": ENV.replace("name: node", "name: Not_Valid") });
    expect(r.errors).toEqual([expect.stringMatching(/^e\.yaml:1 .*Not_Valid/)]);
  });

  it("unknown fields", async () => {
    const r = await problems({ "e.yaml": ENV.replace("image: nodejs }", "image: nodejs, colour: red }") });
    expect(r.errors).toEqual([expect.stringMatching(/^e\.yaml:4 unknown field spec\.runtime\.colour/)]);
  });

  it("duplicate names of one kind", async () => {
    const r = await problems({ "a.yaml": ENV, "b.yaml": ENV });
    expect(r.errors).toEqual(['b.yaml:3 environment "node" is defined twice (also at ' + r.errors[0]!.split("(also at ")[1]]);
    expect(r.errors[0]).toMatch(/also at .*a\.yaml:1\)$/);
  });

  it("dangling references: a function naming a missing environment and package", async () => {
    const r = await problems({ "f.yaml": FN });
    expect(r.errors).toEqual([
      'f.yaml:5 function "f" refers to environment "node", which is not in the specs nor on the platform',
      'f.yaml:6 function "f" refers to package "p", which is not in the specs nor on the platform',
    ]);
  });

  it("a reference to something on the platform is fine; offline it is a warning", async () => {
    const env = create(EnvironmentSchema, { metadata: { name: "node", namespace: "default" }, spec: { runtime: { image: "nodejs" } } }) as KindValue;
    const platform = { all: new Map([[keyOf(specKind("Environment")!, "default", "node"), env]]) };
    expect((await problems({ "a.yaml": [PKG, FN].join("---\n") }, platform)).errors).toEqual([]);
    const dir = tree({ "hello.js": "x", "specs/c.yaml": CONFIG, "specs/a.yaml": [PKG, FN].join("---\n") });
    const set = await readSpecs(join(dir, "specs"));
    await validateSpecs(set, undefined);
    expect(set.errors).toEqual([]);
    expect(set.warnings.map((w) => w.message)).toEqual([
      'package "p" refers to environment "node", which is not in the specs (the platform could not be asked whether it exists)',
      'function "f" refers to environment "node", which is not in the specs (the platform could not be asked whether it exists)',
    ]);
  });

  it("archive:// naming no ArchiveUploadSpec, and an unused archive", async () => {
    const r = await problems({ "a.yaml": [ENV, PKG.replace("archive://code", "archive://other"), FN].join("---\n") });
    expect(r.errors).toEqual(['a.yaml:15 package "p" refers to archive "other", which no ArchiveUploadSpec defines']);
    expect(r.warnings).toEqual(['a.yaml:6 archive "code" is not used by any package']);
  });

  it("globs that match nothing", async () => {
    const r = await problems({ "a.yaml": [ENV, PKG.replace("[hello.js]", "[hello.js, 'lib/**/*.js']"), FN].join("---\n") });
    expect(r.errors).toEqual([expect.stringMatching(/^a\.yaml:6 archive "code": include "lib\/\*\*\/\*\.js" matches no file in /)]);
  });

  it("conflicting routes within the specs, and with another deployment's trigger", async () => {
    const r = await problems({ "a.yaml": [ENV, PKG, FN, route("r1", "/x"), route("r2", "/x", "f", "[GET, POST]"), route("r3", "/y", "f", "[POST]")].join("---\n") });
    expect(r.errors).toEqual([expect.stringMatching(/^a\.yaml:\d+ httptrigger "r2" serves the same route as httptrigger "r1" at .*a\.yaml:\d+$/)]);
    const theirs = create(HTTPTriggerSchema, { metadata: { name: "theirs", namespace: "default" }, spec: { relativeurl: "/y", methods: ["POST"], functionref: { type: "name", name: "g" } } }) as KindValue;
    const platform = { all: new Map([[keyOf(specKind("HTTPTrigger")!, "default", "theirs"), theirs]]) };
    const r2 = await problems({ "a.yaml": [ENV, PKG, FN, route("r3", "/y", "f", "[POST]")].join("---\n") }, platform);
    expect(r2.errors).toEqual([expect.stringMatching(/httptrigger "r3" serves the same route as httptrigger "theirs" on the platform \(not of this deployment\)$/)]);
  });

  it("a missing deployment config", async () => {
    const dir = tree({ "specs/e.yaml": ENV });
    const set = await readSpecs(join(dir, "specs"));
    await validateSpecs(set, { all: new Map() });
    expect(set.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^no DeploymentConfig in .*fizz spec init/)]);
  });

  it("reports every problem of a directory at once, and no cascade from a resource that failed to read", async () => {
    const r = await problems({
      "a.yaml": [ENV, ENV, FN.replace("spec:\n", "spec:\n  bogus: 1\n"), route("r", "/f"), route("r2", "/z", "nofn")].join("---\n"),
    });
    expect(r.errors).toHaveLength(3);
    expect(r.errors.join("\n")).toMatch(/httptrigger "r2" refers to function "nofn"/);
    expect(r.errors.join("\n")).toMatch(/defined twice/);
    expect(r.errors.join("\n")).toMatch(/unknown field spec\.bogus/);
    // the trigger names function "f", which exists in the specs even though it failed to read
    expect(r.errors.join("\n")).not.toMatch(/refers to function "f"/);
    expect(r.errors.filter((e) => /refers to package "p"/.test(e))).toHaveLength(0);
  });
});
