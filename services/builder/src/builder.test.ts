import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { zipSync, strToU8, strFromU8, unzipSync } from "fflate";
import { clone, create } from "@bufbuild/protobuf";
import { Informer, sha256Hex, storageIdOf, storageUrl, uploadArchive } from "@fizz/clients";
import { ArchiveSchema, Kind, ResourceSchema, type Package } from "@fizz/proto";
import type { Builder } from "./builder.js";
import {
  buildStatus,
  createEnv,
  createSourcePackage,
  deploymentBytes,
  deploymentFiles,
  getPackage,
  startPlatform,
  until,
  zipOf,
  type Platform,
} from "./__fixtures__/platform.js";

let p: Platform;
let builder: Builder;
const literal = async (files: Record<string, string>, modes?: Record<string, number>) => ({ type: "literal", literal: await zipOf(files, modes) });

beforeAll(async () => {
  p = await startPlatform();
  await createEnv(p.admin, "nodejs");
  builder = await p.startBuilder({ FIZZ_BUILD_TIMEOUT_MS: "60000" });
});

afterAll(() => p?.close());

describe("builder", () => {
  it("serves /healthz once synced and lists builds", async () => {
    const health = await fetch(`http://${builder.address}/healthz`);
    expect(health.status).toBe(200);
    const builds = (await (await fetch(`http://${builder.address}/builds`)).json()) as { running: unknown[]; queued: unknown[] };
    expect(Array.isArray(builds.running) && Array.isArray(builds.queued)).toBe(true);
    expect((await fetch(`http://${builder.address}/nope`)).status).toBe(404);
  });

  it("runs npm install for a node package and ships node_modules", async () => {
    const pkgJson = JSON.stringify({ name: "app", version: "1.0.0", dependencies: { "is-number": "7.0.0" } });
    await createSourcePackage(p.admin, "npm-app", "nodejs", await literal({ "package.json": pkgJson, "index.js": "module.exports = () => 1;\n" }));
    const pkg = await buildStatus(p.admin, "npm-app", ["succeeded", "failed"], 90_000);
    expect(pkg.status?.buildlog).toContain("$ npm install --omit=dev --no-audit --no-fund");
    expect(pkg.status?.buildlog).toMatch(/added 1 package/);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    const files = await deploymentFiles(pkg, p.store);
    expect(JSON.parse(files["node_modules/is-number/package.json"]!)).toMatchObject({ name: "is-number", version: "7.0.0" });
    expect(files["index.js"]).toBe("module.exports = () => 1;\n");
    expect(pkg.spec?.deployment?.checksum?.sum).toBe(sha256Hex(await deploymentBytes(pkg, p.store)));
    expect(Date.parse(pkg.status!.lastUpdateTimestamp)).not.toBeNaN();
  }, 100_000);

  it("copies a source without package.json as it is", async () => {
    await createSourcePackage(p.admin, "plain", "nodejs", await literal({ "index.js": "x", "lib/util.js": "y" }));
    const pkg = await buildStatus(p.admin, "plain", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(pkg.status?.buildlog).not.toContain("npm install");
    expect(pkg.spec?.deployment?.type).toBe("literal");
    const files = await deploymentFiles(pkg, p.store);
    expect(files["index.js"]).toBe("x");
    expect(files["lib/util.js"]).toBe("y");
    expect(Object.keys(files).some((f) => f.startsWith("node_modules"))).toBe(false);
  });

  it("runs a custom buildcmd in the source dir, making the script executable", async () => {
    const script = [
      "#!/bin/sh",
      'echo "opts=[${NODE_OPTIONS:-}]"',
      '[ "$(pwd)" = "$SRC_PKG" ] && echo cwd-ok',
      'echo built-by-script > "$DEPLOY_PKG/out.txt"',
      "echo to-stderr >&2",
    ].join("\n");
    // mode 0644: the archive lost the x bit
    await createSourcePackage(p.admin, "custom", "nodejs", await literal({ "build.sh": script }, { "build.sh": 0o644 }), "./build.sh");
    const pkg = await buildStatus(p.admin, "custom", ["succeeded", "failed"]);
    const log = pkg.status!.buildlog;
    expect(log.split("\n")[0]).toBe("$ ./build.sh");
    expect(log).toContain("opts=[]");
    expect(log).toContain("cwd-ok");
    expect(log).toContain("to-stderr");
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(await deploymentFiles(pkg, p.store)).toEqual({ "out.txt": "built-by-script\n" });
  });

  it("uses the environment's builder command when the package has none", async () => {
    await createEnv(p.admin, "envcmd", { runtime: { image: "nodejs" }, builder: { image: "", command: 'echo from-env > "$DEPLOY_PKG/env.txt"' } });
    await createSourcePackage(p.admin, "envbuilt", "envcmd", await literal({ "a.txt": "a" }));
    const pkg = await buildStatus(p.admin, "envbuilt", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(await deploymentFiles(pkg, p.store)).toEqual({ "env.txt": "from-env\n" });
  });

  it("fails a build that exits non-zero, keeping the log and the exit code", async () => {
    await createSourcePackage(p.admin, "broken", "nodejs", await literal({ "a.txt": "a" }), "echo compiling; echo oops >&2; exit 3");
    const pkg = await buildStatus(p.admin, "broken", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("failed");
    expect(pkg.status?.buildlog).toMatch(/compiling\n[\s\S]*oops\n[\s\S]*exit code 3\n$/);
    expect(pkg.spec?.deployment).toBeUndefined();
  });

  it("fails a source archive that escapes its directory, saying why", async () => {
    const evil = zipSync({ "../evil.txt": strToU8("pwned"), "ok.txt": strToU8("ok") });
    await createSourcePackage(p.admin, "evil", "nodejs", { type: "literal", literal: evil });
    const pkg = await buildStatus(p.admin, "evil", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("failed");
    expect(pkg.status?.buildlog).toContain('unsafe archive: entry "../evil.txt" escapes the destination');
  });

  it("fetches a storage:// source and stores a large deployment in storage", async () => {
    const big = randomBytes(300 * 1024).toString("base64"); // incompressible enough to stay > 256 KiB zipped
    const src = await zipOf({ "index.js": "module.exports = 1;", "blob.txt": big });
    const info = await uploadArchive(p.store, src);
    await createSourcePackage(p.admin, "big", "nodejs", { type: "url", url: storageUrl(info.id), checksum: { type: "sha256", sum: sha256Hex(src) } });
    const pkg = await buildStatus(p.admin, "big", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    const d = pkg.spec!.deployment!;
    expect(d.type).toBe("url");
    expect(storageIdOf(d.url)).toBeTruthy();
    expect(d.literal.length).toBe(0);
    const bytes = await deploymentBytes(pkg, p.store);
    expect(bytes.length).toBeGreaterThan(256 * 1024);
    expect(sha256Hex(bytes)).toBe(d.checksum?.sum);
    expect((await deploymentFiles(pkg, p.store))["blob.txt"]).toBe(big);
  });

  it("fails when the source does not match its checksum", async () => {
    await createSourcePackage(p.admin, "badsum", "nodejs", { ...(await literal({ "a.txt": "a" })), checksum: { type: "sha256", sum: "0".repeat(64) } });
    const pkg = await buildStatus(p.admin, "badsum", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("failed");
    expect(pkg.status?.buildlog).toContain("checksum mismatch");
  });

  it("bumps the functions using a package when its build succeeds", async () => {
    await createSourcePackage(p.admin, "withfn", "nodejs", await literal({ "index.js": "module.exports = 1;" }), "sleep 0.3; cp index.js \"$DEPLOY_PKG/\"");
    await p.admin.create({
      resource: { kind: { case: "function", value: { metadata: { name: "fn" }, spec: { environment: { name: "nodejs" }, package: { packageref: { name: "withfn" } } } } } },
    } as never);
    const pkg = await buildStatus(p.admin, "withfn", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    const fn = await p.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "fn" });
    expect(fn.kind.case === "function" && fn.kind.value.spec?.package?.packageref?.resourceversion).toBe(pkg.metadata!.resourceVersion);
  });

  it("discards the result of a build whose source changed meanwhile, and rebuilds", async () => {
    const seen: Array<{ status: string; marker?: string }> = [];
    const watcher = new Informer(p.admin, [Kind.PACKAGE]);
    watcher.on("event", (ev) => {
      if (ev.resource.kind.case !== "package" || ev.resource.kind.value.metadata?.name !== "edited") return;
      const pkg = ev.resource.kind.value;
      seen.push({ status: pkg.status?.buildstatus ?? "", marker: markerOf(pkg) });
    });
    await watcher.start();
    try {
      const cmd = 'sleep 1; cp marker "$DEPLOY_PKG/marker"';
      await createSourcePackage(p.admin, "edited", "nodejs", await literal({ marker: "v1" }), cmd);
      const running = await buildStatus(p.admin, "edited", ["running"]);
      const r = clone(ResourceSchema, create(ResourceSchema, { kind: { case: "package", value: running } }));
      if (r.kind.case === "package") r.kind.value.spec!.source = create(ArchiveSchema, await literal({ marker: "v2" }));
      await p.admin.update({ resource: r });
      const done = await until("rebuilt package", async () => {
        const pkg = await getPackage(p.admin, "edited");
        return pkg.status?.buildstatus === "succeeded" ? pkg : undefined;
      });
      expect((await deploymentFiles(done, p.store)).marker).toBe("v2");
      await until("watch caught up", () => seen.some((s) => s.status === "succeeded"));
      expect(seen.filter((s) => s.status === "succeeded").map((s) => s.marker)).toEqual(["v2"]);
      expect(seen.filter((s) => s.status === "running").length).toBeGreaterThanOrEqual(2);
    } finally {
      watcher.stop();
    }
  });
});

function markerOf(pkg: Package): string | undefined {
  const d = pkg.spec?.deployment;
  if (!d || d.type !== "literal") return undefined;
  const m = unzipSync(d.literal).marker;
  return m && strFromU8(m);
}
