import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { strToU8, zipSync, type ZipOptions } from "fflate";
import { pack, type Header } from "tar-stream";
import { FizzError } from "@fizz/common";
import { detectFormat, extractArchive } from "./index.js";

let root: string;
let dest: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "fizz-archive-"));
  dest = join(root, "out");
});
afterEach(() => rm(root, { recursive: true, force: true }));

type TarEntry = Partial<Header> & { name: string; data?: string | Buffer };
async function tarOf(entries: TarEntry[], gzip = true): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const { data, ...h } of entries)
    await new Promise<void>((res, rej) => p.entry(h, data ?? Buffer.alloc(0), (e) => (e ? rej(e) : res())));
  p.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return gzip ? gzipSync(tar) : tar;
}

const unix = (mode: number): ZipOptions => ({ os: 3, attrs: (mode << 16) >>> 0 });

async function refusal(buf: Uint8Array, opts = {}): Promise<FizzError> {
  const err = await extractArchive(buf, dest, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FizzError);
  return err as FizzError;
}

/** The refusal left nothing behind: no destination, no temp directory. */
async function expectNothingWritten() {
  expect(await readdir(root)).toEqual([]);
}

describe("detectFormat", () => {
  it("tells formats apart by magic bytes", async () => {
    expect(detectFormat(zipSync({ a: strToU8("x") }))).toBe("zip");
    expect(detectFormat(zipSync({}))).toBe("zip");
    expect(detectFormat(await tarOf([{ name: "a", data: "x" }]))).toBe("tar.gz");
    expect(detectFormat(await tarOf([{ name: "a", data: "x" }], false))).toBe("tar");
    expect(detectFormat(Buffer.from("module.exports = 1"))).toBe("file");
    expect(detectFormat(new Uint8Array(0))).toBe("file");
  });
});

describe("extractArchive refuses unsafe archives", () => {
  it.each([
    ["../evil", "escapes the destination"],
    ["a/../../evil", "escapes the destination"],
    ["/abs", "absolute path"],
    ["C:/windows/evil", "drive letter"],
    ["..\\evil", "backslash"],
  ])("zip entry %s", async (name, why) => {
    const err = await refusal(zipSync({ ok: strToU8("fine"), [name]: strToU8("evil") }));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.reason).toBe("UNSAFE_ARCHIVE");
    expect(err.message).toContain(JSON.stringify(name));
    expect(err.message).toContain(why);
    await expectNothingWritten();
  });

  it("tar entries with .. or absolute paths", async () => {
    for (const name of ["../evil", "/etc/evil"]) {
      const err = await refusal(await tarOf([{ name: "ok", data: "x" }, { name, data: "evil" }]));
      expect(err.reason).toBe("UNSAFE_ARCHIVE");
      expect(err.message).toContain(JSON.stringify(name));
    }
    await expectNothingWritten();
  });

  it("symlinks whose target escapes, directly or through another symlink", async () => {
    const cases: TarEntry[][] = [
      [{ name: "link", type: "symlink", linkname: "../outside" }],
      [{ name: "link", type: "symlink", linkname: "/etc/passwd" }],
      // lexically "d/.." is the root, but d → "." makes it the root's parent
      [{ name: "d", type: "symlink", linkname: "." }, { name: "x", type: "symlink", linkname: "d/.." }],
      [{ name: "a", type: "symlink", linkname: "b" }, { name: "b", type: "symlink", linkname: "a" }],
    ];
    for (const entries of cases) {
      const err = await refusal(await tarOf(entries));
      expect(err.reason).toBe("UNSAFE_ARCHIVE");
      expect(err.message).toMatch(/symlink "(link|x|a|b)"/);
    }
    const zipLink = await refusal(zipSync({ link: [strToU8("../../etc"), unix(0o120777)] }));
    expect(zipLink.reason).toBe("UNSAFE_ARCHIVE");
    expect(zipLink.message).toContain('"link"');
    await expectNothingWritten();
  });

  it("writing through a symlink, even one pointing inside", async () => {
    const err = await refusal(
      await tarOf([
        { name: "sub/", type: "directory" },
        { name: "d", type: "symlink", linkname: "sub" },
        { name: "d/x", data: "through the link" },
      ]),
    );
    expect(err.message).toContain('"d/x" would be written through the symlink "d"');
  });

  it("hardlinks out of the archive, keeps ones to earlier files", async () => {
    for (const linkname of ["../../etc/passwd", "/etc/passwd", "missing"]) {
      const err = await refusal(await tarOf([{ name: "h", type: "link", linkname }]));
      expect(err.reason).toBe("UNSAFE_ARCHIVE");
      expect(err.message).toContain('hardlink "h"');
    }
    await extractArchive(await tarOf([{ name: "f", data: "same" }, { name: "g", type: "link", linkname: "f" }]), dest);
    expect(await readFile(join(dest, "g"), "utf8")).toBe("same");
  });

  it("device files and FIFOs", async () => {
    const err = await refusal(await tarOf([{ name: "dev/null", type: "character-device", devmajor: 1, devminor: 3 }]));
    expect(err.reason).toBe("UNSAFE_ARCHIVE");
    expect(err.message).toContain('"dev/null"');
    const fifo = await refusal(zipSync({ pipe: [new Uint8Array(0), unix(0o010644)] }));
    expect(fifo.message).toContain('"pipe"');
    await expectNothingWritten();
  });
});

describe("extractArchive enforces limits", () => {
  it("refuses a zip bomb from its declared size before inflating it", async () => {
    const bomb = zipSync({ small: strToU8("x"), zeros: new Uint8Array(24 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(100_000);
    const err = await refusal(bomb, { maxBytes: 1024 * 1024 });
    expect(err.reason).toBe("ARCHIVE_TOO_LARGE");
    expect(err.message).toContain('"zeros"');
    await expectNothingWritten();
  });

  it("stops a zip entry that inflates beyond the size it declares", async () => {
    const bomb = Buffer.from(zipSync({ zeros: new Uint8Array(8 * 1024 * 1024) }));
    // Lie about the uncompressed size in the local header and the central directory.
    bomb.writeUInt32LE(1000, 22);
    const cd = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(1000, cd + 24);
    const err = await refusal(bomb);
    expect(err.reason).toBe("UNSAFE_ARCHIVE");
    expect(err.message).toContain('"zeros" inflates beyond its declared 1000 bytes');
    await expectNothingWritten();
  });

  it("refuses tar entries beyond the limit, and gzip streams that inflate endlessly", async () => {
    const big = await tarOf([{ name: "big", data: Buffer.alloc(2 * 1024 * 1024) }]);
    const err = await refusal(big, { maxBytes: 1024 * 1024 });
    expect(err.reason).toBe("ARCHIVE_TOO_LARGE");
    expect(err.message).toContain('"big"');
    const zeros = await refusal(gzipSync(Buffer.alloc(32 * 1024 * 1024)), { maxBytes: 1024 * 1024 });
    expect(zeros.reason).toBe("ARCHIVE_TOO_LARGE");
    await expectNothingWritten();
  });

  it("counts the total across entries and the number of entries", async () => {
    const files = Object.fromEntries([1, 2, 3].map((i) => [`f${i}`, new Uint8Array(400 * 1024)]));
    const err = await refusal(zipSync(files), { maxBytes: 1024 * 1024 });
    expect(err.message).toContain('"f3"');
    const many = await refusal(zipSync({ a: strToU8("1"), b: strToU8("2"), c: strToU8("3") }), { maxEntries: 2 });
    expect(many.reason).toBe("ARCHIVE_TOO_LARGE");
    const single = await refusal(Buffer.alloc(2048, 1), { maxBytes: 1024 });
    expect(single.reason).toBe("ARCHIVE_TOO_LARGE");
    await expectNothingWritten();
  });
});

describe("extractArchive and malformed input", () => {
  it("reports broken zips, tars and gzip data as INVALID_ARGUMENT", async () => {
    const good = Buffer.from(zipSync({ "a.txt": strToU8("hello ".repeat(1000)) }));
    const truncated = good.subarray(0, good.length - 30);
    const corrupt = Buffer.from(good);
    corrupt.fill(0xff, 40, 60); // inside the deflate stream
    const cases: [Uint8Array, string][] = [
      [Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(100, 7)]), "malformed zip archive: "],
      [truncated, "malformed zip archive: "],
      [corrupt, "malformed zip archive: "],
      [Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5]), "malformed tar.gz archive: "],
      [gzipSync(Buffer.from("not a tar at all, just text")), "malformed tar.gz archive: "],
    ];
    const badTar = await tarOf([{ name: "a", data: "x" }], false);
    badTar[0] = badTar[0]! ^ 0xff; // breaks the header checksum, keeps the ustar magic
    cases.push([badTar, "malformed tar archive: "]);
    for (const [buf, prefix] of cases) {
      const err = await refusal(buf);
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message.startsWith(prefix)).toBe(true);
    }
    await expectNothingWritten();
  });
});

describe("extractArchive writes", () => {
  it("a plain buffer as one file, executable when it is a script", async () => {
    const r = await extractArchive(Buffer.from("module.exports = async () => ({ body: 'hi' })"), dest);
    expect(r.format).toBe("file");
    expect(await readdir(dest)).toEqual(["user"]);
    expect((await stat(join(dest, "user"))).mode & 0o111).toBe(0);
    await extractArchive(Buffer.from("#!/bin/sh\necho hi\n"), dest, { fileName: "run.sh" });
    expect(await readdir(dest)).toEqual(["run.sh"]);
    expect((await stat(join(dest, "run.sh"))).mode & 0o100).toBe(0o100);
  });

  it("replaces an existing destination, and leaves it alone when extraction fails", async () => {
    await mkdir(dest);
    await writeFile(join(dest, "old.js"), "old");
    await extractArchive(zipSync({ "new.js": strToU8("new") }), dest);
    expect(await readdir(dest)).toEqual(["new.js"]);
    await refusal(zipSync({ "../evil": strToU8("x") }));
    expect(await readdir(dest)).toEqual(["new.js"]);
    expect(await readdir(root)).toEqual(["out"]);
  });

  it("tars made by the system tar, with ./ prefixes, modes and inside symlinks", async () => {
    const { execFileSync } = await import("node:child_process");
    const src = join(root, "src");
    await mkdir(join(src, "lib"), { recursive: true });
    await writeFile(join(src, "lib", "run"), "#!/bin/sh\n", { mode: 0o755 });
    execFileSync("ln", ["-s", "lib/run", join(src, "run")]);
    const tgz = execFileSync("tar", ["-czf", "-", "-C", src, "."]);
    await rm(src, { recursive: true });
    const r = await extractArchive(tgz, dest);
    expect(r.format).toBe("tar.gz");
    expect(await readlink(join(dest, "run"))).toBe("lib/run");
    expect((await stat(join(dest, "lib", "run"))).mode & 0o777).toBe(0o755);
  });
});
