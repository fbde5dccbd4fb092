import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { extractArchive } from "@fizz/archive";
import { LITERAL_LIMIT, isLiteral, packageCode, toArchive } from "./code.js";

const tmp = () => mkdtempSync(join(tmpdir(), "fizz-cli-code-"));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

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
