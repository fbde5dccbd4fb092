import { describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { detectFormat, extractArchive, tarGzDirectory, zipDirectory } from "@fizz/archive";
import { LITERAL_LIMIT, isLiteral, packageCode, packagePath, packageSource, toArchive } from "./code.js";

const tmp = () => mkdtempSync(join(tmpdir(), "fizz-cli-code-"));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A small function tree: index.js, lib/greet.js, package.json. */
function sourceTree(): string {
  const dir = tmp();
  mkdirSync(join(dir, "lib"));
  writeFileSync(join(dir, "index.js"), 'module.exports.handler = async () => ({ status: 200, body: require("./lib/greet.js")() });\n');
  writeFileSync(join(dir, "lib", "greet.js"), 'module.exports = () => "hi";\n');
  writeFileSync(join(dir, "package.json"), '{"name":"t","dependencies":{}}\n');
  return dir;
}

describe("--code packaging", () => {
  it("zips the file under its basename and defaults the entry point to its name", async () => {
    const dir = tmp();
    const src = join(dir, "greet.js");
    writeFileSync(src, 'module.exports = async () => ({ status: 200, body: "hi" });\n');
    const code = await packageCode(src);
    expect(code.entry).toBe("greet.js");
    expect(code.functionName).toBe("greet");
    const out = join(dir, "out");
    await extractArchive(code.zip, out);
    expect(readFileSync(join(out, "greet.js"), "utf8")).toBe(readFileSync(src, "utf8"));
  });

  it("gives the same bytes for the same file", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.mjs"), "export default () => 1;\n");
    const [x, y] = await Promise.all([packageCode(join(dir, "a.mjs")), packageCode(join(dir, "a.mjs"))]);
    expect(Buffer.compare(x.zip, y.zip)).toBe(0);
    expect(x.functionName).toBe("a");
  });

  it("says clearly when the file is missing or a directory", async () => {
    await expect(packageCode("/no/such/file.js")).rejects.toThrow(/--code \/no\/such\/file.js: no such file/);
    await expect(packageCode(tmp())).rejects.toThrow(/is a directory/);
  });

  it("zips a zip given to --code as a file, like any other file", async () => {
    const dir = sourceTree();
    const zipPath = join(tmp(), "code.zip");
    writeFileSync(zipPath, await zipDirectory(dir));
    const code = await packageCode(zipPath);
    expect(code.entry).toBe("code.zip");
    const out = join(tmp(), "out");
    await extractArchive(code.zip, out);
    expect(readFileSync(join(out, "code.zip"))).toEqual(readFileSync(zipPath));
  });
});

describe("--src / --deploy packaging", () => {
  it("zips a directory with paths relative to it", async () => {
    const dir = sourceTree();
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".git", "HEAD"), "ref: x\n");
    const p = await packageSource(dir, "--src");
    expect(p).toMatchObject({ from: "directory", format: "zip" });
    expect(p.functionName).toBeUndefined();
    expect(detectFormat(p.zip)).toBe("zip");
    const out = join(tmp(), "out");
    await extractArchive(p.zip, out);
    expect(readFileSync(join(out, "lib", "greet.js"), "utf8")).toContain('"hi"');
    expect(readFileSync(join(out, "index.js"), "utf8")).toContain("./lib/greet.js");
    expect(() => readFileSync(join(out, ".git", "HEAD"))).toThrow(/ENOENT/);
    // Nothing of the absolute path leaks into the archive.
    expect(p.zip.includes(Buffer.from(dir))).toBe(false);
    // Same tree, same bytes (and so the same sha256).
    expect(sha((await packageSource(dir, "--src")).zip)).toBe(sha(p.zip));
  });

  it("sends an existing .zip or .tar.gz as it is", async () => {
    const dir = sourceTree();
    const out = tmp();
    const zipPath = join(out, "fn.zip");
    const tgzPath = join(out, "fn.tar.gz");
    writeFileSync(zipPath, await zipDirectory(dir));
    writeFileSync(tgzPath, await tarGzDirectory(dir));
    const z = await packageSource(zipPath, "--deploy");
    expect(z).toMatchObject({ from: "archive", format: "zip" });
    expect(Buffer.compare(z.zip, readFileSync(zipPath))).toBe(0);
    const t = await packageSource(tgzPath, "--src");
    expect(t).toMatchObject({ from: "archive", format: "tar.gz" });
    expect(Buffer.compare(t.zip, readFileSync(tgzPath))).toBe(0);
    expect(t.functionName).toBeUndefined();
  });

  it("zips a single file under its basename with a default entry point", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "hello.js"), "module.exports = async () => ({ status: 200 });\n");
    const p = await packageSource(join(dir, "hello.js"), "--deploy");
    expect(p).toMatchObject({ from: "file", format: "zip", entry: "hello.js", functionName: "hello" });
    const out = join(tmp(), "out");
    await extractArchive(p.zip, out);
    expect(readFileSync(join(out, "hello.js"), "utf8")).toContain("status: 200");
  });

  it("names the flag and the path when something is wrong", async () => {
    await expect(packageSource("/no/such/dir", "--src")).rejects.toThrow(/^--src \/no\/such\/dir: no such file or directory$/);
    await expect(packageSource("/no/such.zip", "--deploy")).rejects.toThrow(/^--deploy \/no\/such.zip: no such file/);
    await expect(packagePath("/dev/null", { flag: "--src", directories: true })).rejects.toThrow(/neither a file nor a directory/);
  });
});

describe("literal or storage", () => {
  const never = async (): Promise<string> => {
    throw new Error("must not upload");
  };

  it("keeps archives up to 256 KiB inline", () => {
    expect(LITERAL_LIMIT).toBe(256 * 1024);
    expect(isLiteral(LITERAL_LIMIT)).toBe(true);
    expect(isLiteral(LITERAL_LIMIT + 1)).toBe(false);
  });

  it("makes a literal archive with its sha256", async () => {
    const data = Buffer.from("small zip");
    const a = await toArchive(data, never);
    expect(a.type).toBe("literal");
    expect(Buffer.from(a.literal).toString()).toBe("small zip");
    expect(a.url).toBe("");
    expect(a.checksum).toMatchObject({ type: "sha256", sum: sha(data) });
  });

  it("keeps an archive of exactly the limit inline", async () => {
    const a = await toArchive(Buffer.alloc(LITERAL_LIMIT, 1), never);
    expect(a.type).toBe("literal");
  });

  it("uploads larger archives and refers to them as storage://<id>", async () => {
    const big = Buffer.alloc(LITERAL_LIMIT + 1, 7);
    const uploaded: number[] = [];
    const a = await toArchive(big, async (d) => {
      uploaded.push(d.length);
      return "abc123";
    });
    expect(uploaded).toEqual([LITERAL_LIMIT + 1]);
    expect(a.type).toBe("url");
    expect(a.url).toBe("storage://abc123");
    expect(a.literal.length).toBe(0);
    expect(a.checksum?.sum).toBe(sha(big));
  });
});
