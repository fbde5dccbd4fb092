// Reading spec directories: Fizz documents, Fission's format (fixtures written from Fission's
// documented spec format), and the problems a reader must place at a file and line.
import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { REPO_ROOT } from "../paths.js";
import { tree } from "../__fixtures__/platform.js";
import { readSpecs } from "./parse.js";

const FISSION = join(REPO_ROOT, "cli", "src", "spec", "__fixtures__", "fission", "specs");
const CONFIG = "apiVersion: fizz.dev/v1\nkind: DeploymentConfig\nname: app\nuid: u-1\n";

describe("readSpecs (fizz.dev/v1)", () => {
  it("reads several documents per file, the deployment config and archive specs", async () => {
    const dir = tree({
      "specs/fizz-deployment-config.yaml": CONFIG,
      "specs/app.yaml": [
        "apiVersion: fizz.dev/v1\nkind: Environment\nmetadata:\n  name: node\nspec:\n  runtime:\n    image: nodejs\n  poolsize: 1\n",
        "kind: ArchiveUploadSpec\nname: code\ninclude: [hello.js]\n",
        "apiVersion: fizz.dev/v1\nkind: TimeTrigger\nmetadata:\n  name: tick\n  namespace: ops\nspec:\n  cron: '@every 5s'\n  functionref: { name: hello }\n",
        "", // a trailing separator: an empty document
      ].join("---\n"),
    });
    const set = await readSpecs(join(dir, "specs"));
    expect(set.errors).toEqual([]);
    expect(set.config).toMatchObject({ name: "app", uid: "u-1", fission: false });
    expect(set.archives).toEqual([expect.objectContaining({ name: "code", include: ["hello.js"], exclude: [], rootdir: dir })]);
    expect(set.resources.map((r) => [r.kind.name, r.value.metadata?.name, r.value.metadata?.namespace, r.loc.line])).toEqual([
      ["Environment", "node", "default", 1],
      ["TimeTrigger", "tick", "ops", 14],
    ]);
    const env = set.resources[0]!.value;
    expect(env.$typeName === "fizz.v1.Environment" && env.spec?.poolsize).toBe(1);
  });

  it("places YAML syntax errors, unknown kinds, bad apiVersions and unknown fields at their lines, all at once", async () => {
    const dir = tree({
      "specs/a.yaml": "apiVersion: fizz.dev/v1\nkind: Environment\nmetadata: { name: x\n",
      "specs/b.yaml": [
        "apiVersion: fizz.dev/v1\nkind: Gadget\nmetadata: { name: g }\n",
        "apiVersion: fizz.dev/v2\nkind: Function\nmetadata: { name: f }\n",
        "apiVersion: fizz.dev/v1\nkind: Function\nmetadata:\n  name: f\nspec:\n  package:\n    packageref: { name: p }\n    entry: main\n",
      ].join("---\n"),
    });
    const set = await readSpecs(join(dir, "specs"));
    const got = set.errors.map((e) => `${e.loc?.file.split("/").pop()}:${e.loc?.line} ${e.message}`);
    expect(got[0]).toMatch(/^a\.yaml:\d+ YAML: /);
    expect(got.slice(1)).toEqual([
      'b.yaml:2 unknown kind "Gadget"',
      'b.yaml:5 apiVersion "fizz.dev/v2" is not supported: use fizz.dev/v1 or fission.io/v1',
      expect.stringMatching(/^b\.yaml:16 unknown field spec\.package\.entry \(FunctionPackageRef has packageref, functionName\)/),
    ]);
  });

  it("reports a value of the wrong type at the field's line", async () => {
    const dir = tree({ "specs/f.yaml": "apiVersion: fizz.dev/v1\nkind: Function\nmetadata:\n  name: f\nspec:\n  concurrency: lots\n" });
    const set = await readSpecs(join(dir, "specs"));
    expect(set.errors).toEqual([{ loc: { file: expect.stringContaining("f.yaml"), line: 6 }, message: expect.stringMatching(/^spec\.concurrency: bad value .*"lots"/) }]);
  });

  it("skips what .specignore names, and dot files", async () => {
    const dir = tree({ "specs/.specignore": "drafts/**\n", "specs/drafts/x.yaml": "kind: Nonsense\n", "specs/.hidden.yaml": "kind: Nonsense\n", "specs/c.yaml": CONFIG });
    const set = await readSpecs(join(dir, "specs"));
    expect(set.errors).toEqual([]);
    expect(set.files).toEqual(["c.yaml"]);
  });

  it("says how to start when the directory is missing", async () => {
    await expect(readSpecs(join(tree({}), "specs"))).rejects.toThrow(/no spec directory .*fizz spec init/);
  });
});

describe("readSpecs (fission.io/v1, Fission's own format)", () => {
  it("reads Fission's deployment config, archive upload spec, Go-capitalised fields and ignores what Fizz does not use", async () => {
    const set = await readSpecs(FISSION);
    expect(set.errors).toEqual([]);
    expect(set.config).toMatchObject({ name: "fissionapp", uid: "7b0c5f4e-0d3a-4a55-9e43-3f3f0c8d2a11", fission: true });
    expect(set.archives).toEqual([expect.objectContaining({ name: "hello-js-a1b2", include: ["src/*.js"], rootdir: join(FISSION, "..") })]);
    const byKind = Object.fromEntries(set.resources.map((r) => [r.kind.name, r.value]));
    const fn = byKind.Function!;
    if (fn.$typeName !== "fizz.v1.Function") throw new Error("not a function");
    expect(fn.spec?.invokeStrategy?.strategyType).toBe("execution");
    expect(fn.spec?.invokeStrategy?.executionStrategy).toMatchObject({ executorType: "poolmgr", specializationTimeout: 120, minScale: 0 });
    expect(fn.spec?.package).toMatchObject({ functionName: "hello", packageref: { name: "hello-js-a1b2" } });
    const pkg = byKind.Package!;
    expect(pkg.$typeName === "fizz.v1.Package" && pkg.spec?.deployment?.url).toBe("archive://hello-js-a1b2");
    const t = byKind.HTTPTrigger!;
    if (t.$typeName !== "fizz.v1.HTTPTrigger") throw new Error("not a trigger");
    expect(t.spec).toMatchObject({ relativeurl: "/fission-hello", methods: ["GET", "POST"], functionref: { type: "name", name: "hello" } });
    const env = byKind.Environment!;
    expect(env.$typeName === "fizz.v1.Environment" && env.spec?.runtime?.image).toBe("ghcr.io/fission/node-env");
    // Each ignored Fission field is named, with its line.
    const warned = set.warnings.map((w) => `${w.loc?.file.split("/").pop()}:${w.loc?.line} ${w.message}`);
    expect(warned).toEqual(
      expect.arrayContaining([
        "env-nodejs.yaml:15 spec.runtime.podspec is a Fission setting Fizz does not use; ignored",
        'env-nodejs.yaml:18 spec.allowedFunctionsPerContainer "single" is a Fission workflow setting Fizz does not use; ignored',
        "function-hello.yaml:23 status is set by the platform; ignored",
        "route-hello.yaml:14 spec.ingressconfig is a Fission setting Fizz does not use; ignored",
      ]),
    );
  });

  it("keeps Fission's spelling to fission.io/v1 documents: a fizz.dev/v1 document with it is an error", async () => {
    const dir = tree({ "specs/f.yaml": "apiVersion: fizz.dev/v1\nkind: Function\nmetadata: { name: f }\nspec:\n  InvokeStrategy: { StrategyType: execution }\n" });
    const set = await readSpecs(join(dir, "specs"));
    expect(set.errors.map((e) => [e.loc?.line, e.message.split(" (")[0]])).toEqual([[5, "unknown field spec.InvokeStrategy"]]);
  });
});
