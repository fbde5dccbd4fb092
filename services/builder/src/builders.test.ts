import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSchema, PackageSchema } from "@fizz/proto";
import { defaultBuilderFor, planBuild } from "./builders.js";

const env = (runtime: string, builder: { image?: string; command?: string } = {}) =>
  create(EnvironmentSchema, { metadata: { name: "e" }, spec: { runtime: { image: runtime }, builder } });
const pkg = (buildcmd = "") => create(PackageSchema, { metadata: { name: "p" }, spec: { buildcmd } });

describe("build plans", () => {
  it("maps Fission's images to the default builders", () => {
    for (const img of ["nodejs", "node", "node:20", "fission/node-env", "fission/node-builder-22", "ghcr.io/fission/node-builder:1.0", "ghcr.io/fission/node-env-22"])
      expect([img, defaultBuilderFor(img)]).toEqual([img, "nodejs"]);
    for (const img of ["python", "python3.11", "fission/python-env", "ghcr.io/fission/python-builder-3.10"])
      expect([img, defaultBuilderFor(img)]).toEqual([img, "python"]);
    for (const img of ["exec", "fission/binary-env", "nodeish", "pythonic"]) expect(defaultBuilderFor(img)).toBeUndefined();
  });

  it("prefers the package's buildcmd, then the environment's command, then the image's builder", () => {
    expect(planBuild(pkg("./build.sh x"), env("nodejs", { command: "make" }))).toMatchObject({ origin: "buildcmd", script: "./build.sh x", executable: "./build.sh" });
    expect(planBuild(pkg(), env("nodejs", { command: "make" }))).toMatchObject({ origin: "environment", script: "make", executable: undefined });
    const py = planBuild(pkg(), env("nodejs", { image: "fission/python-builder" }));
    expect(py.origin).toBe("default");
    expect(py.script).toContain("python3 -m pip install");
    const node = planBuild(pkg(), env("ghcr.io/fission/node-env-22"));
    expect(node.describe).toContain("nodejs");
    expect(node.script).toContain("install --omit=dev --no-audit --no-fund");
  });

  it("deploys a source as is when no builder applies", () => {
    const plan = planBuild(pkg(), env("exec"));
    expect(plan.origin).toBe("none");
    expect(plan.describe).toContain("deployed as is");
    expect(plan.script).toContain('cp -R "$SRC_PKG/." "$DEPLOY_PKG/"');
  });
});
