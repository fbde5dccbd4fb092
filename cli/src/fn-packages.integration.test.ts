// `fizz fn create/update/delete` with --src, --deploy and --pkg, against a real controller and
// storage service; the test plays the builder's part where a build has to finish.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { zipDirectory } from "@fizz/archive";
import { startTestPlatform, tree, type TestPlatform } from "./__fixtures__/platform.js";

let p: TestPlatform;
const SRC = {
  "index.js": 'const n = require("is-number");\nmodule.exports.handler = async () => ({ status: 200, body: String(n(5)) });\n',
  "package.json": '{"name":"isnum","dependencies":{"is-number":"7.0.0"}}\n',
};

beforeAll(async () => {
  p = await startTestPlatform();
  await p.ok("env", "create", "--name", "nodejs", "--image", "nodejs", "--poolsize", "0");
});

afterAll(async () => {
  await p?.close();
});

const pkgOf = async (fn: string): Promise<string> => (await p.json("fn", "get", "--name", fn)).spec.package.packageref.name;

describe("fn create with packages", () => {
  it("--src makes a pending package for the function and says how to follow the build", async () => {
    const out = await p.ok("fn", "create", "--name", "isnum", "--env", "nodejs", "--src", tree(SRC), "--entrypoint", "index.handler", "--url", "/isnum");
    const m = /^package '(isnum-[a-z0-9]{6})' created\n/.exec(out);
    expect(m).not.toBeNull();
    const pkgName = m![1]!;
    expect(out).toBe(
      `package '${pkgName}' created\nfunction 'isnum' created\nroute 'isnum' created: GET /isnum -> isnum\n` +
        `package '${pkgName}' is building; the function answers once the build succeeds\nfollow the build with: fizz pkg info --name ${pkgName}\n`,
    );
    const fn = await p.json("fn", "get", "--name", "isnum");
    expect(fn.spec.package).toMatchObject({ packageref: { name: pkgName }, functionName: "index.handler" });
    const pkg = await p.getPackage(pkgName);
    expect(pkg.status?.buildstatus).toBe("pending");
    expect(pkg.spec?.source?.type).toBe("literal");
    expect(pkg.spec?.deployment).toBeUndefined();
    expect(pkg.metadata?.labels["fizz.dev/created-for-function"]).toBe("isnum");
    expect(await p.ok("pkg", "list", "--status", "pending")).toContain(pkgName);
  });

  it("--src --buildcmd sets the package's build command", async () => {
    await p.ok("fn", "create", "--name", "custom", "--env", "nodejs", "--src", tree(SRC), "--buildcmd", "./build.sh");
    expect((await p.getPackage(await pkgOf("custom"))).spec?.buildcmd).toBe("./build.sh");
  });

  it("--deploy runs prebuilt code with no build", async () => {
    const zip = join(tree({}), "fn.zip");
    writeFileSync(zip, await zipDirectory(tree(SRC)));
    const out = await p.ok("fn", "create", "--name", "prebuilt", "--env", "nodejs", "--deploy", zip, "--entrypoint", "index.handler");
    expect(out).toMatch(/^package 'prebuilt-[a-z0-9]{6}' created\nfunction 'prebuilt' created\n$/);
    const pkg = await p.getPackage(await pkgOf("prebuilt"));
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(pkg.spec?.source).toBeUndefined();
    // A single file given to --deploy sets the default entry point from its name.
    await p.ok("fn", "create", "--name", "onefile", "--env", "nodejs", "--deploy", join(tree(SRC), "index.js"));
    expect((await p.json("fn", "get", "--name", "onefile")).spec.package.functionName).toBe("index");
  });

  it("--pkg uses an existing package, which fn delete keeps", async () => {
    await p.ok("pkg", "create", "--name", "shared", "--env", "nodejs", "--deploy", tree(SRC));
    expect(await p.ok("fn", "create", "--name", "user", "--env", "nodejs", "--pkg", "shared", "--entrypoint", "index.handler")).toBe("function 'user' created\n");
    expect(await p.ok("fn", "delete", "--name", "user")).toBe("function 'user' deleted\n");
    expect((await p.getPackage("shared")).metadata?.name).toBe("shared");
  });

  it("--wait follows the build to success, or fails with the log's end", async () => {
    const waiting = p.fizz("fn", "create", "--name", "waited", "--env", "nodejs", "--src", tree(SRC), "--wait", "--timeout", "20");
    const pkgName = await until(async () => (await p.json("pkg", "list")).map((x: any) => x.metadata.name).find((n: string) => n.startsWith("waited-")));
    await p.setBuild(pkgName, "running", "npm install\n");
    await p.setBuild(pkgName, "succeeded", "npm install\nadded 1 package\n");
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`waiting for package '${pkgName}' to build...\npackage '${pkgName}' built\n`);

    const failing = p.fizz("pkg", "rebuild", "--name", pkgName, "--wait", "--timeout", "20");
    await until(async () => (await p.getPackage(pkgName)).status?.buildstatus === "pending");
    await p.setBuild(pkgName, "failed", "step 1\nBUILD BROKE\n");
    const f = await failing;
    expect(f.code).toBe(1);
    expect(f.stderr).toBe(`step 1\nBUILD BROKE\nfizz: package '${pkgName}' failed to build; see the whole log with: fizz pkg info --name ${pkgName}\n`);
  });

  it("reports flag mistakes and leaves nothing behind", async () => {
    const both = await p.fizz("fn", "create", "--name", "bad1", "--env", "nodejs", "--src", tree(SRC), "--pkg", "shared");
    expect(both.stderr).toMatch(/give one of --code FILE, --src PATH, --deploy PATH or --pkg NAME/);
    const two = await p.fizz("fn", "create", "--name", "bad1", "--env", "nodejs", "--src", tree(SRC), "--deploy", tree(SRC));
    expect(two.stderr).toMatch(/not several of them/);
    const bc = await p.fizz("fn", "create", "--name", "bad1", "--env", "nodejs", "--pkg", "shared", "--buildcmd", "x");
    expect(bc.stderr).toMatch(/--buildcmd builds source code: use it with --src, not --pkg/);
    const noEnv = await p.fizz("fn", "create", "--name", "bad1", "--env", "nope", "--src", tree(SRC));
    expect(noEnv.code).toBe(1);
    expect((await p.json("pkg", "list")).map((x: any) => x.metadata.name).filter((n: string) => n.startsWith("bad1-"))).toEqual([]);
  });
});

describe("fn update and delete with packages", () => {
  it("--src replaces the source and builds again; --deploy makes it ready at once", async () => {
    const pkgName = await pkgOf("prebuilt");
    const before = await p.json("fn", "get", "--name", "prebuilt");
    const out = await p.ok("fn", "update", "--name", "prebuilt", "--src", tree(SRC));
    expect(out).toBe(`function 'prebuilt' updated\npackage '${pkgName}' is building; the function answers once the build succeeds\nfollow the build with: fizz pkg info --name ${pkgName}\n`);
    let pkg = await p.getPackage(pkgName);
    expect(pkg.status?.buildstatus).toBe("pending");
    expect(pkg.spec?.deployment).toBeUndefined();
    const after = await p.json("fn", "get", "--name", "prebuilt");
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    expect(after.spec.package.functionName).toBe("index.handler");

    expect(await p.ok("fn", "update", "--name", "prebuilt", "--deploy", tree(SRC))).toBe("function 'prebuilt' updated\n");
    pkg = await p.getPackage(pkgName);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(pkg.spec?.source).toBeUndefined();
    expect((await p.fizz("fn", "update", "--name", "prebuilt", "--buildcmd", "make")).stderr).toBe(
      `fizz: package '${pkgName}' has no source to build; give --src with --buildcmd\n`,
    );
    expect(await p.fizz("fn", "update", "--name", "prebuilt", "--src", tree(SRC), "--pkg", "shared").then((r) => r.stderr)).toMatch(/give --src or --pkg, not both/);
  });

  it("fn delete removes the packages --src and --deploy made", async () => {
    for (const fn of ["isnum", "prebuilt", "custom"]) {
      const pkgName = await pkgOf(fn);
      const out = await p.ok("fn", "delete", "--name", fn);
      expect(out).toContain(`package '${pkgName}' deleted`);
    }
    const left = (await p.json("pkg", "list")).map((x: any) => x.metadata.name);
    expect(left.filter((n: string) => /^(isnum|prebuilt|custom)-/.test(n))).toEqual([]);
  });
});

async function until<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
