import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { extractArchive, tarGzDirectory, zipDirectory, zipFiles } from "./index.js";

let root: string;
let src: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "fizz-archive-"));
  src = join(root, "src");
  await mkdir(join(src, "lib", "deep"), { recursive: true });
  await mkdir(join(src, "empty"));
  await writeFile(join(src, "index.js"), "module.exports = require('./lib/util');\n");
  await writeFile(join(src, "lib", "util.js"), "module.exports = 42;\n");
  await writeFile(join(src, "lib", "deep", "big.bin"), Buffer.alloc(3 * 1024 * 1024, "ab"));
  await writeFile(join(src, "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  await symlink("lib/util.js", join(src, "alias.js"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Every path under dir with what it is: file content hash and mode, link target, or "dir". */
async function tree(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const p = join(dir, rel);
    const st = await stat(p).catch(() => undefined);
    const link = await readlink(p).catch(() => undefined);
    if (link !== undefined) out[rel] = `-> ${link}`;
    else if (st?.isDirectory()) {
      out[rel] = "dir";
      Object.assign(out, await tree(dir, rel));
    } else out[rel] = `${sha(await readFile(p))} ${((st?.mode ?? 0) & 0o777).toString(8)}`;
  }
  return out;
}

describe("round trips", () => {
  it.each([
    ["zip", zipDirectory],
    ["tar.gz", tarGzDirectory],
  ] as const)("%s keeps content, empty directories, modes and symlinks", async (format, make) => {
    const archive = await make(src);
    const dest = join(root, "dest");
    const r = await extractArchive(archive, dest);
    expect(r.format).toBe(format);
    expect(r.bytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(await tree(dest)).toEqual(await tree(src));
    expect((await tree(dest))["run.sh"]).toMatch(/ 755$/);
  });

  it("zipFiles takes contents and files, and directory entries", async () => {
    const zip = await zipFiles([
      { name: "b.txt", data: "bee" },
      { name: "a/", mode: 0o755 },
      { name: "a/util.js", path: join(src, "lib", "util.js") },
      { name: "bin", data: new Uint8Array([1, 2, 3]), mode: 0o755 },
    ]);
    expect(Object.keys(unzipSync(zip))).toEqual(["a/", "a/util.js", "b.txt", "bin"]);
    const dest = join(root, "dest");
    await extractArchive(zip, dest);
    expect(await readFile(join(dest, "a", "util.js"), "utf8")).toBe("module.exports = 42;\n");
    expect(await readFile(join(dest, "b.txt"), "utf8")).toBe("bee");
    expect((await stat(join(dest, "bin"))).mode & 0o777).toBe(0o755);
  });

  it("zipFiles refuses unsafe names", async () => {
    await expect(zipFiles([{ name: "../x", data: "" }])).rejects.toMatchObject({ reason: "UNSAFE_ARCHIVE" });
  });
});

describe("deterministic output", () => {
  it("the same tree gives the same bytes whatever the mtimes and creation order", async () => {
    const zip1 = await zipDirectory(src);
    const tgz1 = await tarGzDirectory(src);
    await utimes(join(src, "index.js"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await utimes(join(src, "lib"), new Date(2011, 1, 1), new Date(2011, 1, 1));
    expect(sha(await zipDirectory(src))).toBe(sha(zip1));
    expect(sha(await tarGzDirectory(src))).toBe(sha(tgz1));

    const a = await zipFiles([{ name: "x", data: "1" }, { name: "y", data: "2" }]);
    const b = await zipFiles([{ name: "y", data: "2" }, { name: "x", data: "1" }]);
    expect(sha(a)).toBe(sha(b));
    // and content changes do change it
    await writeFile(join(src, "index.js"), "changed");
    expect(sha(await zipDirectory(src))).not.toBe(sha(zip1));
  });

  it("include filters entries and prunes skipped directories", async () => {
    const zip = await zipDirectory(src, { include: (rel) => rel !== "lib" && !rel.endsWith(".sh") });
    expect(Object.keys(unzipSync(zip))).toEqual(["alias.js", "empty/", "index.js"]);
  });
});
