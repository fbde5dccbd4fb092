import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ArchiveSchema, PackageSchema } from "@fizz/proto";
import { archiveBytes, describeArchive, hasArchive, humanSize } from "./archive-io.js";
import { logTail } from "./build-wait.js";
import { LITERAL_LIMIT } from "./code.js";
import { formatInfo } from "./commands/pkg/info.js";
import { archiveFlag, isBuilding, makePackage, markPending, updatePackage } from "./package.js";

const never = async (): Promise<string> => {
  throw new Error("must not upload");
};
function srcDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fizz-cli-pkg-"));
  writeFileSync(join(dir, "index.js"), "module.exports = async () => ({ status: 200 });\n");
  return dir;
}

describe("archive flags", () => {
  it("takes at most one of --src, --deploy and --code", () => {
    expect(archiveFlag({ src: "d" }, true)).toBe("src");
    expect(archiveFlag({ deploy: "d" }, true)).toBe("deploy");
    expect(archiveFlag({}, false)).toBeUndefined();
    expect(() => archiveFlag({}, true)).toThrow(/^give --src, --deploy or --code$/);
    expect(() => archiveFlag({ src: "a", deploy: "b" }, true)).toThrow(/not several/);
    expect(() => archiveFlag({ deploy: "b" }, true, ["src", "deploy"])).not.toThrow();
    expect(() => archiveFlag({}, true, ["src", "deploy"])).toThrow(/^give --src or --deploy$/);
  });

  it("allows --buildcmd only with source", () => {
    expect(archiveFlag({ src: "d", buildcmd: "./build.sh" }, true)).toBe("src");
    expect(() => archiveFlag({ deploy: "d", buildcmd: "x" }, true)).toThrow(/--buildcmd builds source code: use it with --src, not --deploy/);
    expect(() => archiveFlag({ code: "f.js", buildcmd: "x" }, true)).toThrow(/not --code/);
  });
});

describe("making and updating packages", () => {
  it("--src makes a pending package with source and build command, no deployment", async () => {
    const { pkg, functionName } = await makePackage({ name: "p", namespace: "default", env: "nodejs", src: srcDir(), buildcmd: "./build.sh" }, never);
    expect(functionName).toBeUndefined();
    expect(pkg.spec?.source?.type).toBe("literal");
    expect(pkg.spec?.source?.checksum?.sum).toMatch(/^[0-9a-f]{64}$/);
    expect(pkg.spec?.deployment).toBeUndefined();
    expect(pkg.spec?.buildcmd).toBe("./build.sh");
    expect(pkg.status?.buildstatus).toBe("pending");
    expect(isBuilding(pkg)).toBe(true);
  });

  it("--deploy makes a package with a deployment only (the controller marks it succeeded)", async () => {
    const file = join(srcDir(), "index.js");
    const { pkg, functionName } = await makePackage({ name: "p", namespace: "default", env: "nodejs", deploy: file, labels: { a: "b" } }, never);
    expect(functionName).toBe("index");
    expect(pkg.spec?.deployment?.type).toBe("literal");
    expect(pkg.spec?.source).toBeUndefined();
    expect(pkg.status).toBeUndefined();
    expect(pkg.metadata?.labels).toEqual({ a: "b" });
  });

  it("uploads a large source to storage", async () => {
    const dir = srcDir();
    // Random bytes do not compress: the zip stays above the literal limit.
    writeFileSync(join(dir, "blob.bin"), (await import("node:crypto")).randomBytes(LITERAL_LIMIT + 1024));
    const { pkg } = await makePackage({ name: "p", namespace: "default", env: "nodejs", src: dir }, async () => "id1");
    expect(pkg.spec?.source).toMatchObject({ type: "url", url: "storage://id1" });
  });

  it("new source resets the build; new deployment drops the source", async () => {
    const { pkg } = await makePackage({ name: "p", namespace: "default", env: "nodejs", deploy: srcDir() }, never);
    pkg.status = create((await import("@fizz/proto")).PackageStatusSchema, { buildstatus: "succeeded", buildlog: "old log" });
    expect((await updatePackage(pkg, { src: srcDir() }, never)).rebuild).toBe(true);
    expect(pkg.status).toMatchObject({ buildstatus: "pending", buildlog: "" });
    expect(pkg.status?.lastUpdateTimestamp).not.toBe("");
    expect(pkg.spec?.deployment).toBeUndefined();
    expect((await updatePackage(pkg, { deploy: srcDir() }, never)).rebuild).toBe(false);
    expect(pkg.spec?.source).toBeUndefined();
    expect(pkg.status).toBeUndefined();
  });

  it("a new build command or environment rebuilds a package with source", async () => {
    const { pkg } = await makePackage({ name: "p", namespace: "default", env: "nodejs", src: srcDir() }, never);
    pkg.status!.buildstatus = "failed";
    expect((await updatePackage(pkg, { buildcmd: "./fixed.sh" }, never)).rebuild).toBe(true);
    expect(pkg.spec?.buildcmd).toBe("./fixed.sh");
    expect(pkg.status?.buildstatus).toBe("pending");
    pkg.status!.buildstatus = "succeeded";
    expect((await updatePackage(pkg, { env: "node2" }, never)).rebuild).toBe(true);
    expect(pkg.spec?.environment?.name).toBe("node2");
    const { pkg: prebuilt } = await makePackage({ name: "q", namespace: "default", env: "nodejs", deploy: srcDir() }, never);
    await expect(updatePackage(prebuilt, { buildcmd: "x" }, never)).rejects.toThrow(/has no source to build/);
    expect((await updatePackage(prebuilt, { env: "node2" }, never)).rebuild).toBe(false);
  });

  it("markPending clears the log and stamps the time", () => {
    const pkg = create(PackageSchema, { status: { buildstatus: "failed", buildlog: "BUILD BROKE" } });
    markPending(pkg);
    expect(pkg.status).toMatchObject({ buildstatus: "pending", buildlog: "" });
    expect(Date.parse(pkg.status!.lastUpdateTimestamp)).not.toBeNaN();
  });
});

describe("archives for info, getsrc and getdeploy", () => {
  const sum = "a".repeat(64);
  it("describes archives by type, size and sha256 prefix", () => {
    expect(humanSize(812)).toBe("812 B");
    expect(humanSize(3 * 1024 + 400)).toBe("3.4 KiB");
    expect(humanSize(1.5 * 1024 * 1024)).toBe("1.5 MiB");
    const lit = create(ArchiveSchema, { type: "literal", literal: Buffer.from("x"), checksum: { type: "sha256", sum } });
    expect(describeArchive(lit, 1)).toBe("literal, 1 B, sha256 aaaaaaaaaaaa");
    const url = create(ArchiveSchema, { type: "url", url: "storage://id9", checksum: { type: "sha256", sum } });
    expect(describeArchive(url, 300 * 1024)).toBe("url storage://id9, 300.0 KiB, sha256 aaaaaaaaaaaa");
    expect(describeArchive(create(ArchiveSchema, { type: "url", url: "storage://x" }), undefined)).toBe("url storage://x, size unknown, no checksum");
    expect(hasArchive(undefined)).toBe(false);
    expect(hasArchive(lit)).toBe(true);
  });

  it("returns literal bytes and refuses a checksum mismatch", async () => {
    const { createHash } = await import("node:crypto");
    const data = Buffer.from("zip bytes");
    const good = create(ArchiveSchema, { type: "literal", literal: data, checksum: { type: "sha256", sum: createHash("sha256").update(data).digest("hex") } });
    expect(await archiveBytes(good, "src")).toEqual(data);
    const bad = create(ArchiveSchema, { type: "literal", literal: data, checksum: { type: "sha256", sum } });
    await expect(archiveBytes(bad, "package 'p' source")).rejects.toThrow(/package 'p' source: checksum mismatch/);
    await expect(archiveBytes(create(ArchiveSchema, { type: "url", url: "s3://b/k" }), "x")).rejects.toThrow(/only storage:\/\/ and http/);
  });

  it("formats pkg info with the whole build log", () => {
    const log = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n");
    const pkg = create(PackageSchema, {
      metadata: { name: "p", namespace: "default" },
      spec: { environment: { name: "nodejs" }, source: { type: "literal", literal: Buffer.from("abc"), checksum: { type: "sha256", sum } }, buildcmd: "./build.sh" },
      status: { buildstatus: "failed", buildlog: log, lastUpdateTimestamp: "2020-01-01T00:00:00Z" },
    });
    const text = formatInfo(pkg, { sourceSize: 3, functions: ["f1", "f2"], now: Date.parse("2020-01-01T00:00:30Z") });
    expect(text).toMatch(/^Name:\s+p\n/);
    expect(text).toMatch(/\nStatus:\s+failed\n/);
    expect(text).toMatch(/\nLast update:\s+2020-01-01T00:00:00Z \(30s ago\)\n/);
    expect(text).toMatch(/\nBuild command:\s+\.\/build\.sh\n/);
    expect(text).toMatch(/\nSource:\s+literal, 3 B, sha256 aaaaaaaaaaaa\n/);
    expect(text).toMatch(/\nDeployment:\s+-\n/);
    expect(text).toMatch(/\nFunctions:\s+f1, f2\n/);
    expect(text).toContain(`Build log:\n${log}\n`);
    expect(text.endsWith("line 40\n")).toBe(true);
    expect(logTail(log, 2)).toBe("line 39\nline 40");
  });
});
