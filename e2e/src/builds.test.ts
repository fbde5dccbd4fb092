// Builds, end to end: source → builder → deployment → router. Functions are created from source
// directories in e2e/fixtures/builds with `fn create --src`, built by the platform's builder (the
// default Node.js builder runs `npm install --omit=dev` when there is a package.json; a package's
// buildcmd replaces it), and served once their package's build succeeds; until then the router
// answers 503 with the build status.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminClient, type AdminClient } from "@fizz/clients";
import { Kind, type Package } from "@fizz/proto";
import { eventually, fizz, fizzOk, get, startPlatform, type Platform } from "./platform.js";

const BUILD_MS = 60_000;
let p: Platform;
let admin: AdminClient;

beforeAll(async () => {
  p = await startPlatform();
  admin = adminClient(p.admin);
}, 60_000);

afterAll(async () => {
  admin?.close();
  await p?.stop();
});

async function pkgOf(fn: string): Promise<string> {
  return JSON.parse(await fizzOk(p, ["fn", "get", "--name", fn, "-o", "json"])).spec.package.packageref.name;
}

async function getPackage(name: string): Promise<Package> {
  const r = await admin.get({ kind: Kind.PACKAGE, namespace: "default", name });
  if (r.kind.case !== "package") throw new Error(`${name} is not a package`);
  return r.kind.value;
}

/** Waits for a package's build to end in `want`, failing at once if it ends the other way. */
async function buildEnds(name: string, want: "succeeded" | "failed"): Promise<Package> {
  return eventually(
    async () => {
      const pkg = await getPackage(name);
      const s = pkg.status?.buildstatus;
      if (s === want) return pkg;
      if (s === "succeeded" || s === "failed") throw new Error(`package ${name} ended ${s}, expected ${want}:\n${pkg.status?.buildlog}`);
      return undefined;
    },
    BUILD_MS,
    200,
  );
}

/** Polls a URL until it answers 200 (the build finished and the function serves). */
async function served(url: string): Promise<{ status: number; body: string }> {
  return eventually(
    async () => {
      const r = await get(url);
      return r.status === 200 ? r : undefined;
    },
    BUILD_MS,
    250,
  );
}

describe("functions built from source", () => {
  it("installs a dependency with the default Node.js builder and serves it", async () => {
    const out = await fizzOk(p, ["fn", "create", "--name", "isnum", "--env", "nodejs", "--src", "./builds/isnum", "--entrypoint", "index.handler", "--url", "/isnum"]);
    const pkgName = await pkgOf("isnum");
    expect(out).toContain(`package '${pkgName}' is building`);
    expect(out).toContain(`fizz pkg info --name ${pkgName}`);

    const r = await served(`${p.routerUrl}/isnum`);
    expect(r.body).toBe("is-number(42) = true\n");
    expect((await get(`${p.routerUrl}/isnum?q=abc`)).body).toBe("is-number(abc) = false\n");

    const pkg = await getPackage(pkgName);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(pkg.spec?.deployment?.checksum?.sum).toMatch(/^[0-9a-f]{64}$/);
    const info = await fizzOk(p, ["pkg", "info", "--name", pkgName]);
    expect(info).toMatch(/\nStatus:\s+succeeded\n/);
    expect(info).toMatch(/\nDeployment:\s+(literal|url storage:\/\/\S+), /);
    expect(info).toMatch(/npm install/);
    expect(await fizzOk(p, ["pkg", "list", "--status", "succeeded"])).toContain(pkgName);
    expect(await fizzOk(p, ["fn", "test", "--name", "isnum", "--query", "q=7"])).toBe("is-number(7) = true\n");
  }, 120_000);

  it("serves a multi-file function through a named entry point", async () => {
    await fizzOk(p, ["fn", "create", "--name", "multi", "--env", "nodejs", "--src", "./builds/multi", "--entrypoint", "index.hello", "--url", "/multi"]);
    const r = await served(`${p.routerUrl}/multi?name=fizz`);
    expect(r.body).toBe("hello fizz from lib/greet.js\n");
  }, 120_000);

  it("runs a prebuilt --deploy zip with no build", async () => {
    // The zip: the multi function's source as the CLI packaged it, fetched back.
    const zip = join(mkdtempSync(join(tmpdir(), "fizz-e2e-zip-")), "multi.zip");
    await fizzOk(p, ["pkg", "getsrc", "--name", await pkgOf("multi"), "--output", zip]);
    const out = await fizzOk(p, ["fn", "create", "--name", "prebuilt", "--env", "nodejs", "--deploy", zip, "--entrypoint", "index.hello", "--url", "/prebuilt"]);
    expect(out).not.toMatch(/building/);
    const pkgName = await pkgOf("prebuilt");
    expect((await getPackage(pkgName)).status?.buildstatus).toBe("succeeded");
    const r = await eventually(async () => {
      const x = await get(`${p.routerUrl}/prebuilt?name=zip`);
      return x.status === 200 ? x : undefined;
    }, 5000);
    expect(r.body).toBe("hello zip from lib/greet.js\n");
  }, 60_000);

  it("builds source too large to travel inline, through storage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fizz-e2e-big-"));
    writeFileSync(join(dir, "index.js"), 'module.exports = async () => ({ status: 200, body: "big source serves\\n" });\n');
    writeFileSync(join(dir, "blob.bin"), randomBytes(300 * 1024)); // random bytes do not compress
    await fizzOk(p, ["fn", "create", "--name", "bigsrc", "--env", "nodejs", "--src", dir, "--url", "/bigsrc"]);
    const pkgName = await pkgOf("bigsrc");
    const pkg = await getPackage(pkgName);
    expect(pkg.spec?.source?.url).toMatch(/^storage:\/\//);
    expect((await served(`${p.routerUrl}/bigsrc`)).body).toBe("big source serves\n");
    const file = join(mkdtempSync(join(tmpdir(), "fizz-e2e-out-")), `${pkgName}.zip`);
    await fizzOk(p, ["pkg", "getsrc", "--name", pkgName, "--output", file]);
    expect(createHash("sha256").update(readFileSync(file)).digest("hex")).toBe(pkg.spec?.source?.checksum?.sum);
  }, 120_000);
});

describe("a build that fails", () => {
  let pkgName = "";

  it("shows the failure and its log, and the route answers 503 instead of stale code", async () => {
    await fizzOk(p, ["fn", "create", "--name", "broken", "--env", "nodejs", "--src", "./builds/broken", "--buildcmd", "./build.sh", "--url", "/broken"]);
    pkgName = await pkgOf("broken");
    await buildEnds(pkgName, "failed");

    const info = await fizzOk(p, ["pkg", "info", "--name", pkgName]);
    expect(info).toMatch(/\nStatus:\s+failed\n/);
    expect(info).toContain("BUILD BROKE");
    expect(await fizzOk(p, ["pkg", "list", "--status", "failed"])).toContain(pkgName);

    const r = await get(`${p.routerUrl}/broken`);
    expect(r.status).toBe(503);
    expect(r.body).not.toContain("stale code");
    expect(r.body).toContain("buildstatus: failed");

    const t = await fizz(p, ["fn", "test", "--name", "broken"]);
    expect(t.code).toBe(1);
    expect(t.stdout).toBe("");
    expect(t.stderr).toContain("buildstatus: failed");
    expect(t.stderr).toContain(`fizz pkg info --name ${pkgName}`);
    expect(t.stderr.trim().split("\n")).toHaveLength(1);
  }, 120_000);

  it("serves once new source builds", async () => {
    await fizzOk(p, ["pkg", "update", "--name", pkgName, "--src", "./builds/fixed"]);
    const r = await served(`${p.routerUrl}/broken`);
    expect(r.body).toBe("fixed build serves\n");
    const pkg = await getPackage(pkgName);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(pkg.status?.buildlog).toContain("BUILD OK");
    expect(pkg.status?.buildlog).not.toContain("BUILD BROKE");
  }, 120_000);

  it("goes back through pending to succeeded on rebuild", async () => {
    const before = await getPackage(pkgName);
    expect(await fizzOk(p, ["pkg", "rebuild", "--name", pkgName])).toContain(`package '${pkgName}' will be built again`);
    const seen: string[] = [];
    const after = await eventually(
      async () => {
        const pkg = await getPackage(pkgName);
        const s = pkg.status?.buildstatus ?? "";
        if (seen.at(-1) !== s) seen.push(s);
        return s === "succeeded" && Number(pkg.metadata?.resourceVersion) > Number(before.metadata?.resourceVersion) + 1 ? pkg : undefined;
      },
      BUILD_MS,
      20,
    );
    // The rebuild's own write (pending) and the builder's (succeeded), at least.
    expect(["pending", "running", "succeeded"]).toContain(seen[0]);
    expect(after.status?.buildlog).toContain("BUILD OK");
    expect(Date.parse(after.status!.lastUpdateTimestamp)).toBeGreaterThanOrEqual(Date.parse(before.status?.lastUpdateTimestamp || "1970-01-01T00:00:00Z"));
    expect((await served(`${p.routerUrl}/broken`)).body).toBe("fixed build serves\n");
  }, 120_000);

  it("fn update --src builds again and fn delete removes the package it made", async () => {
    await fizzOk(p, ["fn", "update", "--name", "broken", "--src", "./builds/broken"]);
    await buildEnds(pkgName, "failed");
    expect((await get(`${p.routerUrl}/broken`)).status).toBe(503);
    const out = await fizzOk(p, ["fn", "delete", "--name", "broken"]);
    expect(out).toContain(`package '${pkgName}' deleted`);
  }, 120_000);
});
