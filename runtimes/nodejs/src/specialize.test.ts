import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import path from "node:path";
import { fixtureDir, removeFixtures, specialize, specialized, startRuntime, stopAll } from "./__fixtures__/harness.js";

beforeAll(() => {
  jest.spyOn(process.stderr, "write").mockImplementation(() => true); // expected load-error logs
});

afterAll(async () => {
  jest.restoreAllMocks();
  await stopAll();
  await removeFixtures();
});

const text = async (base: string, url = "/"): Promise<string> => (await fetch(base + url)).text();

describe("/healthz and the generic state", () => {
  it("answers healthz before and after specialization, and refuses calls before", async () => {
    const dir = await fixtureDir({ "f.js": `module.exports = () => ({ body: "fn" });` });
    const r = await startRuntime({ userFuncDir: dir });
    const h = await fetch(`${r.base}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.text()).toBe("OK");
    const early = await fetch(`${r.base}/call`);
    expect(early.status).toBe(500);
    expect(((await early.json()) as { error: string }).error).toMatch(/not specialized/);
    expect(r.rt.specialized).toBe(false);

    const s = await specialize(r, path.join(dir, "f.js"));
    expect(s.status).toBe(202);
    const info = (await s.json()) as { durationMs: number; file: string };
    expect(info.durationMs).toBeGreaterThan(0);
    expect(info.file).toBe(path.join(dir, "f.js"));
    expect(r.rt.specialized).toBe(true);
    expect(await text(r.base, "/healthz")).toBe("OK");
    expect(await text(r.base, "/call")).toBe("fn");
  });

  it("refuses a second specialization with 409", async () => {
    const r = await specialized({ "f.js": `module.exports = () => "first";` }, "f.js");
    const again = await specialize(r, "/elsewhere/g.js");
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: "already specialized" });
    const v1 = await fetch(`${r.base}/specialize`, { method: "POST" });
    expect(v1.status).toBe(409);
    expect(await text(r.base)).toBe("first");
  });

  it("answers 400 for a malformed specialize request", async () => {
    const r = await startRuntime();
    const bad = await fetch(`${r.base}/v2/specialize`, { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    const noPath = await fetch(`${r.base}/v2/specialize`, { method: "POST", body: "{}" });
    expect(noPath.status).toBe(400);
    expect(await noPath.json()).toEqual({ error: "filepath is required" });
  });
});

describe("v2 entry points", () => {
  it("loads a CommonJS export with 'file.fn' from a directory", async () => {
    const r = await specialized(
      { "handlers.js": `exports.hello = () => ({ body: "hello" }); exports.bye = () => ({ body: "bye" });` },
      ".",
      "handlers.bye",
    );
    expect(await text(r.base)).toBe("bye");
  });

  it("loads a module's default from a directory by name, and a package main for an empty name", async () => {
    const byName = await specialized({ "lib/main.cjs": `module.exports = () => "by name";` }, ".", "lib/main");
    expect(await text(byName.base)).toBe("by name");
    const pkg = await specialized(
      { "package.json": JSON.stringify({ name: "fn", main: "src/entry.js" }), "src/entry.js": `module.exports = async () => ({ body: "main" });` },
      ".",
    );
    expect(await text(pkg.base)).toBe("main");
    const index = await specialized({ "index.js": `module.exports = () => "index";` }, ".");
    expect(await text(index.base)).toBe("index");
  });

  it("loads .js ESM from a \"type\": \"module\" directory, with named exports", async () => {
    const r = await specialized(
      {
        "package.json": JSON.stringify({ type: "module" }),
        "api.js": `import { shout } from "./util.js";\nexport const handler = async () => ({ body: shout("esm") });`,
        "util.js": `export const shout = (s) => s.toUpperCase();`,
      },
      ".",
      "api.handler",
    );
    expect(await text(r.base)).toBe("ESM");
  });

  it("accepts 'file.fn' and the file's own name when filepath is a file", async () => {
    const files = { "greet.js": `module.exports = () => "default"; module.exports.loud = () => "LOUD";` };
    expect(await text((await specialized(files, "greet.js", "greet.loud")).base)).toBe("LOUD");
    expect(await text((await specialized(files, "greet.js", "loud")).base)).toBe("LOUD");
    expect(await text((await specialized(files, "greet.js", "greet")).base)).toBe("default");
  });

  it("unwraps CommonJS compiled from ESM (exports.default)", async () => {
    const r = await specialized(
      { "compiled.js": `Object.defineProperty(exports, "__esModule", { value: true }); exports.default = () => "compiled";` },
      "compiled.js",
    );
    expect(await text(r.base)).toBe("compiled");
  });
});

describe("load errors", () => {
  async function failing(files: Record<string, string>, entry: string, functionName = ""): Promise<{ status: number; error: string; base: string }> {
    const dir = await fixtureDir(files);
    const r = await startRuntime({ userFuncDir: dir });
    const res = await specialize(r, path.join(dir, entry), functionName);
    return { status: res.status, error: ((await res.json()) as { error: string }).error, base: r.base };
  }

  it("reports a missing file", async () => {
    const e = await failing({}, "nope.js");
    expect(e.status).toBe(500);
    expect(e.error).toMatch(/^cannot load function: file .*nope\.js not found$/);
    const inDir = await failing({ "a.js": "" }, ".", "missing.fn");
    expect(inDir.error).toMatch(/cannot load function: file .*missing not found/);
  });

  it("reports a missing export with the module's exports", async () => {
    const e = await failing({ "m.js": `exports.a = () => 1; exports.b = () => 2;` }, "m.js", "c");
    expect(e.status).toBe(500);
    expect(e.error).toMatch(/^module .*m\.js has no export 'c' \(exports: .*a, b\)$/);
    const notFn = await failing({ "n.mjs": `export const value = 3;` }, "n.mjs", "value");
    expect(notFn.error).toMatch(/export 'value' of module .* is not a function \(it is a number\)/);
    const noDefault = await failing({ "o.mjs": `export const f = () => 1;` }, "o.mjs");
    expect(noDefault.error).toMatch(/has no default export \(exports: f\)/);
  });

  it("reports a syntax error, and the runtime can still be specialized afterwards", async () => {
    const e = await failing({ "bad.js": `module.exports = () => {;`, "good.js": `module.exports = () => "good";` }, "bad.js");
    expect(e.status).toBe(500);
    expect(e.error).toMatch(/cannot load function: error loading .*bad\.js: SyntaxError/);
    const dir = path.dirname(e.error.replace(/^.*error loading (.*bad\.js).*$/, "$1"));
    const retry = await fetch(`${e.base}/v2/specialize`, { method: "POST", body: JSON.stringify({ filepath: path.join(dir, "good.js") }) });
    expect(retry.status).toBe(202);
    expect(await text(e.base)).toBe("good");
  });
});

describe("v1 /specialize", () => {
  it("loads ${userFuncDir}/user as a file without extension", async () => {
    const dir = await fixtureDir({ user: `module.exports = async () => ({ body: "v1 file" });` });
    const r = await startRuntime({ userFuncDir: dir });
    const res = await fetch(`${r.base}/specialize`, { method: "POST" });
    expect(res.status).toBe(202);
    expect(await text(r.base)).toBe("v1 file");
  });

  it("loads ${userFuncDir}/user as a directory", async () => {
    const dir = await fixtureDir({
      "user/package.json": JSON.stringify({ main: "handler.js" }),
      "user/handler.js": `module.exports = (ctx, cb) => cb(200, "v1 dir");`,
    });
    const r = await startRuntime({ userFuncDir: dir });
    expect((await fetch(`${r.base}/specialize`, { method: "POST" })).status).toBe(202);
    expect(await text(r.base)).toBe("v1 dir");
  });
});
