// The Python runtime's environment contract: healthz, v1/v2 specialize, entry points, load errors.
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import path from "node:path";
import { cleanup, fixtureDir, specialize } from "../../nodejs/src/__fixtures__/runtime-process.js";
import { specializedPython, startPython } from "./__fixtures__/python.js";

jest.setTimeout(60_000); // python processes on a loaded 2-core machine
afterEach(cleanup);

const text = async (base: string, url = "/"): Promise<string> => (await fetch(base + url)).text();

describe("/healthz and the generic state", () => {
  it("answers healthz before and after specialization, and refuses calls before", async () => {
    const dir = await fixtureDir({ "main.py": `def main():\n    return "fn"\n` });
    const r = await startPython({ FIZZ_USERFUNC_DIR: dir });
    const h = await fetch(`${r.base}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.text()).toBe("OK");
    const early = await fetch(`${r.base}/call`);
    expect(early.status).toBe(500);
    expect(((await early.json()) as { error: string }).error).toBe("runtime is not specialized: POST /v2/specialize first");

    const s = await specialize(r, dir);
    expect(s.status).toBe(202);
    const info = (await s.json()) as { specialized: boolean; durationMs: number; file: string };
    expect(info.specialized).toBe(true);
    expect(info.durationMs).toBeGreaterThan(0);
    expect(info.file).toBe(path.join(dir, "main.py"));
    expect(await text(r.base, "/healthz")).toBe("OK");
    expect(await text(r.base, "/call")).toBe("fn");
  });

  it("refuses a second specialization with 409", async () => {
    const r = await specializedPython({ "main.py": `def main():\n    return "first"\n` }, ".");
    const again = await specialize(r, "/elsewhere");
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: "already specialized" });
    const v1 = await fetch(`${r.base}/specialize`, { method: "POST" });
    expect(v1.status).toBe(409);
    expect(await text(r.base)).toBe("first");
  });

  it("answers 400 for a malformed specialize request", async () => {
    const r = await startPython();
    const bad = await fetch(`${r.base}/v2/specialize`, { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid JSON body: expected {filepath, functionName}" });
    const noPath = await fetch(`${r.base}/v2/specialize`, { method: "POST", body: "{}" });
    expect(noPath.status).toBe(400);
    expect(await noPath.json()).toEqual({ error: "filepath is required" });
    const badName = await fetch(`${r.base}/v2/specialize`, { method: "POST", body: JSON.stringify({ filepath: "/x", functionName: 3 }) });
    expect(await badName.json()).toEqual({ error: "functionName must be a string" });
  });
});

describe("v2 entry points", () => {
  const pkg = {
    "main.py": `def main():\n    return "main.main"\n`,
    "handlers.py": `from helpers import shout\ndef main():\n    return "handlers.main"\ndef bye():\n    return shout("bye")\n`,
    "helpers.py": `def shout(s):\n    return s.upper()\n`,
    "api/__init__.py": "",
    "api/v1.py": `def get():\n    return "api.v1.get"\ndef main():\n    return "api.v1.main"\n`,
  };

  it.each([
    ["", "main.main"],
    ["handlers", "handlers.main"],
    ["handlers.bye", "BYE"],
    ["handlers.py", "handlers.main"],
    ["api.v1.get", "api.v1.get"],
    ["api.v1", "api.v1.main"],
    ["api/v1.get", "api.v1.get"],
  ])("directory + %j", async (functionName, expected) => {
    const r = await specializedPython(pkg, ".", functionName);
    expect(await text(r.base)).toBe(expected);
  });

  it.each([
    ["", "default"],
    ["loud", "LOUD"],
    ["greet.loud", "LOUD"],
    ["greet", "default"],
  ])("file greet.py + %j", async (functionName, expected) => {
    const files = { "greet.py": `def main():\n    return "default"\ndef loud():\n    return "LOUD"\n` };
    expect(await text((await specializedPython(files, "greet.py", functionName)).base)).toBe(expected);
  });

  it("loads a file whatever its extension (the executor names single files user.js)", async () => {
    const r = await specializedPython({ "user.js": `def main():\n    return "python in user.js"\n` }, "user.js");
    expect(await text(r.base)).toBe("python in user.js");
  });

  it("puts a package directory first on sys.path: vendored dependencies and sibling modules import", async () => {
    const r = await specializedPython(
      {
        // What `pip install -t` leaves: a package directory (and dist-info) beside the code.
        "vendored/__init__.py": `VERSION = "9.9"\n`,
        "vendored-9.9.dist-info/METADATA": "Name: vendored\n",
        "json.py": `raise RuntimeError("a user module never shadows the runtime's imports after it started")\n`,
        "app.py": `import vendored\ndef handler():\n    return "vendored " + vendored.VERSION\n`,
      },
      ".",
      "app.handler",
    );
    expect(await text(r.base)).toBe("vendored 9.9");
  });
});

describe("load errors", () => {
  async function failing(files: Record<string, string>, entry: string, functionName = ""): Promise<{ status: number; error: string; base: string; dir: string }> {
    const dir = await fixtureDir(files);
    const r = await startPython({ FIZZ_USERFUNC_DIR: dir });
    const res = await specialize(r, path.join(dir, entry), functionName);
    return { status: res.status, error: ((await res.json()) as { error: string }).error, base: r.base, dir };
  }

  it("reports a missing file or module", async () => {
    const e = await failing({}, "nope.py");
    expect(e.status).toBe(500);
    expect(e.error).toBe(`cannot load function: file ${path.join(e.dir, "nope.py")} not found`);
    const inDir = await failing({ "a.py": "" }, ".", "missing.fn");
    expect(inDir.error).toBe(`cannot load function: file ${path.join(inDir.dir, "missing")}.py not found (entry point 'missing.fn')`);
    const noMain = await failing({ "a.py": "" }, ".");
    expect(noMain.error).toMatch(/^cannot load function: file .*main\.py not found \(give an entry point such as module\.function\)$/);
  });

  it("reports a missing or non-callable function with the module's functions", async () => {
    const e = await failing({ "m.py": `def a(): pass\ndef b(): pass\nvalue = 3\n` }, "m.py", "c");
    expect(e.status).toBe(500);
    expect(e.error).toBe(`module ${path.join(e.dir, "m.py")} has no function 'c' (functions: a, b)`);
    const notFn = await failing({ "m.py": `value = 3\n` }, "m.py", "value");
    expect(notFn.error).toBe(`'value' in module ${path.join(notFn.dir, "m.py")} is not a function (it is int)`);
  });

  it("reports syntax errors, import errors and exit() at import; the runtime can still be specialized afterwards", async () => {
    const e = await failing({ "bad.py": `def main(:\n`, "good.py": `def main():\n    return "good"\n` }, "bad.py");
    expect(e.status).toBe(500);
    expect(e.error).toMatch(/^cannot load function: error loading .*bad\.py: SyntaxError: .* \(bad\.py, line 1\)$/);
    const retry = await specialize({ base: e.base } as never, path.join(e.dir, "good.py"));
    expect(retry.status).toBe(202);
    expect(await text(e.base)).toBe("good");

    const imp = await failing({ "dep.py": `import no_such_dependency\ndef main(): pass\n` }, ".", "dep.main");
    expect(imp.error).toMatch(/^cannot load function: error loading dep from .*: ModuleNotFoundError: No module named 'no_such_dependency'$/);
    const exits = await failing({ "x.py": `import sys\nsys.exit(3)\n` }, "x.py");
    expect(exits.error).toMatch(/error loading .*x\.py: SystemExit: the module called exit\(3\)$/);
    expect(await text(exits.base, "/healthz")).toBe("OK");
  });
});

describe("v1 /specialize", () => {
  it("loads ${userFuncDir}/user as a file without extension", async () => {
    const dir = await fixtureDir({ user: `def main():\n    return "v1 file"\n` });
    const r = await startPython({ FIZZ_USERFUNC_DIR: dir });
    expect((await fetch(`${r.base}/specialize`, { method: "POST" })).status).toBe(202);
    expect(await text(r.base)).toBe("v1 file");
  });

  it("loads ${userFuncDir}/user as a directory with main.py", async () => {
    const dir = await fixtureDir({ "user/main.py": `from lib import word\ndef main():\n    return word()\n`, "user/lib.py": `def word():\n    return "v1 dir"\n` });
    const r = await startPython({ FIZZ_USERFUNC_DIR: dir });
    expect((await fetch(`${r.base}/specialize`, { method: "POST" })).status).toBe(202);
    expect(await text(r.base)).toBe("v1 dir");
  });
});
