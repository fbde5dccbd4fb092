// `fizz pkg …` (the built CLI) against a real controller and storage service.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractArchive, tarGzDirectory, zipDirectory } from "@fizz/archive";
import { LITERAL_LIMIT } from "./code.js";
import { startTestPlatform, tree, type TestPlatform } from "./__fixtures__/platform.js";

let p: TestPlatform;
const out = () => mkdtempSync(join(tmpdir(), "fizz-cli-out-"));
const HANDLER = 'module.exports.handler = async () => ({ status: 200, body: require("./lib/greet.js")() });\n';
const SRC = { "index.js": HANDLER, "lib/greet.js": 'module.exports = () => "hi";\n', "package.json": '{"name":"t"}\n' };

beforeAll(async () => {
  p = await startTestPlatform();
  await p.ok("env", "create", "--name", "nodejs", "--image", "nodejs", "--poolsize", "0");
});

afterAll(async () => {
  await p?.close();
});

describe("fizz pkg", () => {
  it("creates a package from a source directory: pending, source only, inline", async () => {
    const dir = tree(SRC);
    const stdout = await p.ok("pkg", "create", "--name", "src1", "--env", "nodejs", "--src", dir, "--buildcmd", "./build.sh");
    expect(stdout).toBe("package 'src1' created\npackage 'src1' is building\nfollow the build with: fizz pkg info --name src1\n");
    const pkg = await p.getPackage("src1");
    expect(pkg.status?.buildstatus).toBe("pending");
    expect(pkg.spec?.buildcmd).toBe("./build.sh");
    expect(pkg.spec?.deployment).toBeUndefined();
    expect(pkg.spec?.source?.type).toBe("literal");
    // The archive holds the tree with relative paths.
    const x = out();
    await extractArchive(pkg.spec!.source!.literal, x);
    expect(readFileSync(join(x, "lib", "greet.js"), "utf8")).toBe(SRC["lib/greet.js"]);
  });

  it("creates a package from a prebuilt zip: succeeded at once", async () => {
    const zip = join(out(), "fn.zip");
    writeFileSync(zip, await zipDirectory(tree(SRC)));
    expect(await p.ok("pkg", "create", "--name", "dep1", "--env", "nodejs", "--deploy", zip)).toBe("package 'dep1' created\n");
    const pkg = await p.getPackage("dep1");
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(Buffer.from(pkg.spec!.deployment!.literal)).toEqual(readFileSync(zip));
  });

  it("lists packages, filtered by build status", async () => {
    expect(await p.ok("pkg", "list")).toMatch(/^NAME\s+ENV\s+STATUS\s+AGE\ndep1\s+nodejs\s+succeeded\s+\d+s\nsrc1\s+nodejs\s+pending\s+\d+s\n$/);
    expect(await p.ok("package", "list", "--status", "pending")).toMatch(/^NAME.*\nsrc1\s+nodejs\s+pending/);
    expect(await p.ok("pkg", "list", "--status", "succeeded")).not.toMatch(/src1/);
    expect((await p.json("pkg", "list", "--status", "failed"))).toEqual([]);
    const bad = await p.fizz("pkg", "list", "--status", "done");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/pending, running, succeeded, failed, none/);
  });

  it("shows status, archives and the whole build log", async () => {
    const log = ["BUILD START", ...Array.from({ length: 50 }, (_, i) => `step ${i}`), "BUILD BROKE"].join("\n") + "\n";
    await p.setBuild("src1", "failed", log);
    const info = await p.ok("pkg", "info", "--name", "src1");
    expect(info).toMatch(/^Name:\s+src1\n/);
    expect(info).toMatch(/\nEnvironment:\s+nodejs\n/);
    expect(info).toMatch(/\nStatus:\s+failed\n/);
    expect(info).toMatch(/\nLast update:\s+\d{4}-\d\d-\d\dT.*\(\d+s ago\)\n/);
    expect(info).toMatch(/\nSource:\s+literal, [\d.]+ (B|KiB), sha256 [0-9a-f]{12}\n/);
    expect(info).toMatch(/\nDeployment:\s+-\n/);
    expect(info.endsWith(`Build log:\n${log}`)).toBe(true);
    const doc = await p.json("pkg", "info", "--name", "src1");
    expect(doc).toMatchObject({ kind: "Package", metadata: { name: "src1" }, status: { buildstatus: "failed", buildlog: log } });
    expect(await p.ok("pkg", "info", "--name", "src1", "-o", "yaml")).toMatch(/buildstatus: failed/);
  });

  it("rebuild sets pending again, and refuses a package without source", async () => {
    expect(await p.ok("pkg", "rebuild", "--name", "src1")).toBe("package 'src1' will be built again\nfollow the build with: fizz pkg info --name src1\n");
    const pkg = await p.getPackage("src1");
    expect(pkg.status).toMatchObject({ buildstatus: "pending", buildlog: "" });
    const r = await p.fizz("pkg", "rebuild", "--name", "dep1");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("fizz: package 'dep1' has no source to build (it holds prebuilt code only); give it source with: fizz pkg update --name dep1 --src PATH\n");
  });

  it("update: --buildcmd rebuilds, --deploy replaces the source, --src resets the build", async () => {
    await p.setBuild("src1", "succeeded", "ok\n");
    expect(await p.ok("pkg", "update", "--name", "src1", "--buildcmd", "./fixed.sh")).toMatch(/^package 'src1' updated\npackage 'src1' is building\n/);
    expect((await p.getPackage("src1")).status?.buildstatus).toBe("pending");
    expect(await p.ok("pkg", "update", "--name", "src1", "--deploy", join(tree(SRC), "index.js"))).toBe("package 'src1' updated\n");
    let pkg = await p.getPackage("src1");
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(pkg.spec?.source).toBeUndefined();
    await p.ok("pkg", "update", "--name", "src1", "--src", tree(SRC));
    pkg = await p.getPackage("src1");
    expect(pkg.status?.buildstatus).toBe("pending");
    expect(pkg.spec?.deployment).toBeUndefined();
    const none = await p.fizz("pkg", "update", "--name", "src1");
    expect(none.stderr).toMatch(/nothing to change/);
  });

  it("getsrc and getdeploy give back the exact bytes, inline or from storage", async () => {
    const small = join(out(), "small.tar.gz");
    writeFileSync(small, await tarGzDirectory(tree(SRC)));
    const big = join(out(), "big.zip");
    writeFileSync(big, await zipDirectory(tree({ ...SRC, "blob.bin": randomBytes(LITERAL_LIMIT + 4096) })));
    await p.ok("pkg", "create", "--name", "rt-small", "--env", "nodejs", "--src", small);
    await p.ok("pkg", "create", "--name", "rt-big", "--env", "nodejs", "--src", big);
    await p.ok("pkg", "create", "--name", "rt-bigdep", "--env", "nodejs", "--deploy", big);
    expect((await p.getPackage("rt-small")).spec?.source?.type).toBe("literal");
    expect((await p.getPackage("rt-big")).spec?.source?.url).toMatch(/^storage:\/\//);
    expect(await p.ok("pkg", "info", "--name", "rt-big")).toMatch(/\nSource:\s+url storage:\/\/\S+, 2\d\d\.\d KiB, sha256 /);

    const dir = out();
    expect(await p.ok("pkg", "getsrc", "--name", "rt-small", "--output", join(dir, "a.tgz"))).toMatch(/^source of package 'rt-small' written to .*a\.tgz \(/);
    expect(readFileSync(join(dir, "a.tgz"))).toEqual(readFileSync(small));
    await p.ok("pkg", "getsrc", "--name", "rt-big", "-o", join(dir, "b.zip"));
    expect(readFileSync(join(dir, "b.zip"))).toEqual(readFileSync(big));
    await p.ok("pkg", "getdeploy", "--name", "rt-bigdep", "--output", join(dir, "c.zip"));
    expect(readFileSync(join(dir, "c.zip"))).toEqual(readFileSync(big));
    const dep = await p.raw("pkg", "getdeploy", "--name", "dep1", "--output", "-");
    expect(dep.code).toBe(0);
    expect(dep.stdout).toEqual(Buffer.from((await p.getPackage("dep1")).spec!.deployment!.literal));
    const stdoutBig = await p.raw("pkg", "getsrc", "--name", "rt-big", "-o", "-");
    expect(stdoutBig.stdout).toEqual(readFileSync(big));

    expect((await p.fizz("pkg", "getsrc", "--name", "dep1", "-o", join(dir, "x"))).stderr).toMatch(/package 'dep1' has no source archive/);
    expect((await p.fizz("pkg", "getdeploy", "--name", "rt-small", "-o", join(dir, "x"))).stderr).toMatch(
      /package 'rt-small' has no deployment archive yet \(buildstatus: pending\); see fizz pkg info --name rt-small/,
    );
    expect((await p.fizz("pkg", "getsrc", "--name", "rt-small")).stderr).toMatch(/--output FILE is required/);
  });

  it("refuses to delete a package a function uses, and says what to do", async () => {
    await p.ok("fn", "create", "--name", "user1", "--env", "nodejs", "--pkg", "dep1", "--entrypoint", "index.handler");
    const r = await p.fizz("pkg", "delete", "--name", "dep1");
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^fizz: cannot delete package 'dep1': .*used by function "user1".*fizz fn delete --name F/);
    // fn delete keeps a package it did not make.
    expect(await p.ok("fn", "delete", "--name", "user1")).toBe("function 'user1' deleted\n");
    expect(await p.ok("pkg", "delete", "--name", "dep1")).toBe("package 'dep1' deleted\n");
    expect((await p.fizz("pkg", "info", "--name", "dep1")).stderr).toMatch(/dep1/);
  });

  it("explains flag mistakes in one line", async () => {
    const dir = tree(SRC);
    const both = await p.fizz("pkg", "create", "--name", "x1", "--env", "nodejs", "--src", dir, "--deploy", dir);
    expect(both.stderr).toBe("fizz: give --src, --deploy or --code, not several of them\n");
    const neither = await p.fizz("pkg", "create", "--name", "x1", "--env", "nodejs");
    expect(neither.stderr).toMatch(/^fizz: give --src, --deploy or --code\n$/);
    const bc = await p.fizz("pkg", "create", "--name", "x1", "--env", "nodejs", "--deploy", dir, "--buildcmd", "make");
    expect(bc.stderr).toMatch(/--buildcmd builds source code: use it with --src/);
    const missing = await p.fizz("pkg", "create", "--name", "x1", "--env", "nodejs", "--src", "/no/such/dir");
    expect(missing.stderr).toBe("fizz: --src /no/such/dir: no such file or directory\n");
    const badName = await p.fizz("pkg", "create", "--name", "Bad_Pkg", "--env", "nodejs", "--src", dir);
    expect(badName.stderr).toMatch(/package name "Bad_Pkg" is not a valid DNS-1123 name/);
  });
});
