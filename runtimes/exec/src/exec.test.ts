// The exec runtime in-process on an ephemeral port, running real programs: shell, Perl and
// Python scripts, a script without a shebang, and a compiled binary (a copy of /bin/cat).
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { copyFile, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { cleanup, dead, fixtureDir } from "../../nodejs/src/__fixtures__/runtime-process.js";
import { createExecServer, type ExecServer, type ExecServerOptions } from "./server.js";

jest.setTimeout(60_000);

const servers: ExecServer[] = [];
let stderr: string[] = [];
const stderrWaiters = new Set<() => void>();

beforeAll(() => {
  // Programs' stderr and the runtime's error lines: the function log, checked below.
  jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    stderrWaiters.forEach((w) => w());
    return true;
  });
});

/** Resolves once `needle` has been written to stderr. */
function onStderr(needle: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => stderr.join("").includes(needle) && (stderrWaiters.delete(check), resolve());
    stderrWaiters.add(check);
    check();
  });
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
  stderr = [];
});
afterAll(async () => {
  jest.restoreAllMocks();
  await cleanup();
});

const exe = (s: string): [string, number] => [s, 0o755];

async function start(files: Record<string, string | [string, number]>, opts: ExecServerOptions = {}) {
  const dir = await fixtureDir(files);
  const rt = createExecServer({ userFuncDir: dir, env: { PATH: process.env.PATH }, ...opts });
  servers.push(rt);
  const { port } = await rt.listen(0, "127.0.0.1");
  return { rt, dir, base: `http://127.0.0.1:${port}` };
}

async function specialized(files: Record<string, string | [string, number]>, functionName = "", opts: ExecServerOptions = {}, filepath = ".") {
  const s = await start(files, opts);
  const res = await spec(s.base, filepath, functionName);
  if (res.status !== 202) throw new Error(`specialize failed: ${res.status} ${await res.text()}`);
  return s;
}

const spec = (base: string, filepath: string, functionName = "") =>
  fetch(`${base}/v2/specialize`, { method: "POST", body: JSON.stringify({ filepath, functionName }) });

async function get(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const WC = exe(`#!/bin/bash\nwc -w | tr -d ' '\n`);

describe("contract", () => {
  it("answers healthz, refuses calls before specialization, and a second specialization", async () => {
    const s = await start({ "wc.sh": WC });
    expect(await get(`${s.base}/healthz`)).toMatchObject({ status: 200, text: "OK" });
    const early = await get(`${s.base}/x`);
    expect(early.status).toBe(500);
    expect(JSON.parse(early.text)).toEqual({ error: "runtime is not specialized: POST /v2/specialize first" });
    const ok = await spec(s.base, ".", "wc");
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ specialized: true, file: path.join(s.dir, "wc.sh") });
    expect((await spec(s.base, ".", "wc")).status).toBe(409);
    expect((await fetch(`${s.base}/specialize`, { method: "POST" })).status).toBe(409);
    const bad = await fetch(`${s.base}/v2/specialize`, { method: "POST", body: "{" });
    expect(bad.status).toBe(409); // already specialized wins over a malformed body
  });

  it("answers 400 for a malformed specialize request", async () => {
    const s = await start({});
    const bad = await fetch(`${s.base}/v2/specialize`, { method: "POST", body: "{" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid JSON body: expected {filepath, functionName}" });
  });

  it("v1 /specialize runs ${userFuncDir}/user", async () => {
    const s = await start({ user: exe(`#!/bin/sh\necho v1\n`) });
    expect((await fetch(`${s.base}/specialize`, { method: "POST" })).status).toBe(202);
    expect((await get(s.base)).text).toBe("v1\n");
  });
});

describe("finding the program", () => {
  it.each([
    ["wc", "wc.sh"],
    ["wc.sh", "wc.sh"],
    ["bin/tool", "bin/tool"],
  ])("directory + %j runs %s", async (functionName, file) => {
    const s = await specialized({ "wc.sh": WC, "bin/tool": exe(`#!/bin/sh\necho tool\n`) }, functionName);
    const res = await get(s.base, { method: "POST", body: "one two three" });
    expect(res.text).toBe(file === "wc.sh" ? "3\n" : "tool\n");
  });

  it("runs a directory's only file for an empty entry point, and a file given directly", async () => {
    expect((await get((await specialized({ "only.sh": WC })).base, { method: "POST", body: "a b" })).text).toBe("2\n");
    const direct = await specialized({ "wc.sh": WC, "other.txt": "x" }, "", {}, "wc.sh");
    expect((await get(direct.base, { method: "POST", body: "a" })).text).toBe("1\n");
  });

  it.each([
    ["two files, no entry point", { "a.sh": WC, "b.sh": WC }, "", /directory .* holds 2 files \(a\.sh, b\.sh\); give the program's name as the entry point$/],
    ["no files", {}, "", /directory .* holds no files/],
    ["an ambiguous name", { "run.sh": WC, "run.pl": WC }, "run", /entry point 'run' is ambiguous in .* \(run\.pl, run\.sh\)$/],
    ["a path outside the directory", { "a.sh": WC }, "../../etc/passwd", /entry point '\.\.\/\.\.\/etc\/passwd' is outside /],
    ["a missing file", { "a.sh": WC }, "nope", /^cannot load function: file .*\/nope not found$/],
  ])("refuses %s with a clear error, and stays generic", async (_what, files, functionName, message) => {
    const s = await start(files);
    const res = await spec(s.base, ".", functionName);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
    expect(s.rt.specialized).toBe(false);
  });

  it("makes a script executable, and runs one without a shebang with /bin/sh", async () => {
    const s = await specialized({ "plain.sh": `echo "no shebang: $0"\n`, "bash.sh": [`#!/bin/bash\necho bash\n`, 0o644] }, "bash");
    expect((await stat(path.join(s.dir, "bash.sh"))).mode & 0o111).toBe(0o111);
    expect((await get(s.base)).text).toBe("bash\n");
    const plain = await specialized({ "plain.sh": `echo "no shebang"\n` }, "plain");
    expect((await get(plain.base)).text).toBe("no shebang\n");
  });
});

describe("running programs", () => {
  it("passes the request as stdin and FIZZ_* / CGI environment variables", async () => {
    const s = await specialized({
      "env.sh": exe(
        `#!/bin/sh\nbody=$(cat)\nprintf '%s|' "$FIZZ_METHOD" "$FIZZ_PATH" "$FIZZ_QUERY" "$FIZZ_URL" "$FIZZ_HEADER_X_CUSTOM" "$FIZZ_PARAM_ID" ` +
          `"$FIZZ_REQUEST_ID" "$FIZZ_FUNCTION_NAME" "$FIZZ_FUNCTION_NAMESPACE" "$REQUEST_METHOD" "$QUERY_STRING" "$PATH_INFO" "$CONTENT_TYPE" ` +
          `"$CONTENT_LENGTH" "$HTTP_X_CUSTOM" "\${HTTP_PROXY-unset}" "\${PORT-unset}" "\${NODE_CHANNEL_FD-unset}" "$body"\n`,
      ),
    });
    const res = await get(`${s.base}/a%20b/c?x=1&y=2`, {
      method: "PUT",
      body: "the body",
      headers: {
        "content-type": "text/plain",
        "x-custom": "c1",
        "x-fizz-params-id": "42",
        "x-fizz-request-id": "req-1",
        "x-fizz-function-name": "envfn",
        "x-fizz-function-namespace": "default",
        proxy: "http://evil",
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.text.split("|")).toEqual([
      "PUT", "/a%20b/c", "x=1&y=2", "/a%20b/c?x=1&y=2", "c1", "42", "req-1", "envfn", "default",
      "PUT", "x=1&y=2", "/a b/c", "text/plain", "8", "c1", "unset", "unset", "unset", "the body", "",
    ]);
  });

  it("reads a CGI header block (Perl, as CGI scripts print it)", async () => {
    const s = await specialized({
      "cgi.pl": exe(`#!/usr/bin/perl\nprint "Status: 201 Created\\r\\nContent-Type: application/json\\r\\nSet-Cookie: a=1\\r\\nSet-Cookie: b=2\\r\\nX-Len: $ENV{CONTENT_LENGTH}\\r\\n\\r\\n";\nprint '{"ok":true}';\n`),
    });
    const res = await get(s.base, { method: "POST", body: "12345" });
    expect(res).toMatchObject({ status: 201, text: `{"ok":true}` });
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(res.headers.get("x-len")).toBe("5");
  });

  it("runs Python scripts and compiled binaries", async () => {
    const py = await specialized({ "up.py": exe(`#!/usr/bin/env python3\nimport sys, os\nsys.stdout.write(sys.stdin.read().upper() + os.environ["FIZZ_METHOD"])\n`) });
    expect((await get(py.base, { method: "POST", body: "shout " })).text).toBe("SHOUT POST");
    const dir = await fixtureDir({});
    await copyFile("/bin/cat", path.join(dir, "cat")); // an ELF executable
    const s = await start({});
    expect((await spec(s.base, dir, "cat")).status).toBe(202);
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    const res = await fetch(s.base, { method: "POST", body: bytes });
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
  });

  it("answers 500 for a non-zero exit, with stderr in the function log and the last line in the error", async () => {
    const s = await specialized({ "fail.sh": exe(`#!/bin/sh\necho partial output\necho "first problem" >&2\necho "disk is full" >&2\nexit 3\n`) });
    const res = await get(s.base);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ error: "function error: fail.sh exited with code 3: disk is full" });
    const log = stderr.join("");
    expect(log).toContain("first problem\ndisk is full\n");
    expect(log).toContain("fizz-runtime: function error: fail.sh exited with code 3");
    const sig = await specialized({ "segv.sh": exe(`#!/bin/sh\nkill -SEGV $$\n`) });
    expect(JSON.parse((await get(sig.base)).text)).toEqual({ error: "function error: segv.sh was killed by SIGSEGV" });
  });

  it("explains a program that cannot start", async () => {
    const s = await specialized({ "bad.sh": exe(`#!/no/such/interpreter\n`) });
    const res = await get(s.base);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text).error).toBe("function error: cannot run bad.sh: ENOENT (is the interpreter on its #! line installed?)");
  });

  it("kills the whole process group at the timeout and answers 504", async () => {
    const s = await specialized({ "slow.sh": exe(`#!/bin/sh\nsleep 30 &\necho $! > child.pid\necho $$ > main.pid\nsleep 30\n`) }, "", { timeoutMs: 700 });
    const started = Date.now();
    const res = await get(s.base);
    expect(res.status).toBe(504);
    expect(JSON.parse(res.text)).toEqual({ error: "function error: slow.sh did not finish within 700 ms" });
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const f of ["main.pid", "child.pid"]) expect(dead(Number(await readFile(path.join(s.dir, f), "utf8")))).toBe(true);
  });

  it("kills the process group when the client goes away", async () => {
    const s = await specialized({ "hang.sh": exe(`#!/bin/sh\necho $$ > main.pid\necho started >&2\nsleep 30\n`) });
    const ac = new AbortController();
    const req = fetch(s.base, { signal: ac.signal }).catch(() => "aborted");
    await onStderr("started");
    ac.abort();
    expect(await req).toBe("aborted");
    const pid = Number(await readFile(path.join(s.dir, "main.pid"), "utf8"));
    await until(() => dead(pid));
  });

  it("answers when the program exits, killing what it left running in the background", async () => {
    const s = await specialized({ "bg.sh": exe(`#!/bin/sh\nsleep 30 &\necho $! > bg.pid\necho done\n`) });
    const started = Date.now();
    expect((await get(s.base)).text).toBe("done\n");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(dead(Number(await readFile(path.join(s.dir, "bg.pid"), "utf8")))).toBe(true);
  });

  it("limits request bodies (413) and output (500)", async () => {
    const s = await specialized({ "big.sh": exe(`#!/bin/sh\nhead -c 5000 /dev/zero\n`) }, "", { maxBodyBytes: 100, maxOutputBytes: 1000 });
    const big = await get(s.base, { method: "POST", body: "x".repeat(101) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text)).toEqual({ error: "request body larger than 100 bytes" });
    const out = await get(s.base);
    expect(out.status).toBe(500);
    expect(JSON.parse(out.text)).toEqual({ error: "function error: big.sh wrote more than 1000 bytes to stdout" });
  });

  it("answers HEAD without a body, and ignores a program that does not read stdin", async () => {
    const s = await specialized({ "hi.sh": exe(`#!/bin/sh\necho hi\n`) });
    const head = await fetch(s.base, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe("3");
    expect(await head.text()).toBe("");
    expect((await get(s.base, { method: "POST", body: "y".repeat(1 << 20) })).text).toBe("hi\n");
  });

  it("runs requests concurrently, a process each", async () => {
    const s = await specialized({ "nap.sh": exe(`#!/bin/sh\nsleep 1\necho $$\n`) });
    const started = Date.now();
    const pids = await Promise.all(Array.from({ length: 5 }, async () => (await get(s.base)).text));
    expect(new Set(pids).size).toBe(5);
    expect(Date.now() - started).toBeLessThan(4_000); // one at a time would take 5 s
  });
});

/** Waits for a process that is not our child to die: there is no event for that, so it polls. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
