// `fizz replay <id> --local ./handler.js`: the recorded request against a local copy of the
// function, in a fresh Node.js runtime process (optionally under the debugger).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Record as Rec } from "@fizz/proto";
import { FizzError } from "@fizz/common/errors";
import { REPO_ROOT } from "../../paths.js";

export const RUNTIME_MAIN = join(REPO_ROOT, "runtimes", "nodejs", "dist", "main.js");
export const INSPECT_ADDRESS = "127.0.0.1:9229";

// Not sent again: connection-level, recomputed, or values the recorder replaced.
const SKIP = new Set(["host", "connection", "keep-alive", "content-length", "transfer-encoding", "te", "trailer", "upgrade", "expect"]);

export interface LocalResult {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Starts the runtime, specializes it with `file`, sends the recorded request, stops the runtime. */
export async function runLocal(rec: Rec, file: string, o: { entrypoint?: string; inspect: boolean }): Promise<LocalResult> {
  const path = resolve(file);
  if (!existsSync(path)) throw new FizzError("INVALID_ARGUMENT", `--local ${file}: no such file`);
  if (!existsSync(RUNTIME_MAIN)) throw new FizzError("FAILED_PRECONDITION", `the Node.js runtime is not built (${RUNTIME_MAIN}); run pnpm build`);
  const args = o.inspect ? [`--inspect-brk=${INSPECT_ADDRESS}`, RUNTIME_MAIN] : [RUNTIME_MAIN];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    if (o.inspect)
      process.stderr.write(
        `runtime started under the debugger at ${INSPECT_ADDRESS} and paused: attach (chrome://inspect, VS Code "Attach") and resume to run the request\n`,
      );
    const base = await listening(child, o.inspect ? 0 : 10_000);
    const functionName = o.entrypoint ?? basename(path, extname(path));
    const sp = await fetch(`${base}/v2/specialize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filepath: dirname(path), functionName }),
    });
    if (!sp.ok) throw new FizzError("FAILED_PRECONDITION", `the runtime could not load ${file}: ${(await sp.text()).trim()}`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec.requestHeaders)) if (!SKIP.has(k) && v !== "[redacted]") headers[k] = v;
    for (const [k, v] of Object.entries(rec.requestHeaders)) if (v === "[redacted]") process.stderr.write(`note: header ${k} was redacted when recorded; not sent\n`);
    if (rec.requestBodyTruncated) process.stderr.write(`note: the recorded request body was truncated at ${rec.requestBody.length} bytes\n`);
    const hasBody = rec.method !== "GET" && rec.method !== "HEAD";
    const res = await fetch(`${base}${functionPath(rec)}`, {
      method: rec.method,
      headers,
      body: hasBody ? Buffer.from(rec.requestBody) : undefined,
    });
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    return { status: res.status, headers: out, body: new Uint8Array(await res.arrayBuffer()) };
  } finally {
    child.kill();
  }
}

/** The path the function saw: internal /fizz-function/<name> prefixes are the router's, not the function's. */
export function functionPath(rec: Rec): string {
  const url = rec.url || "/";
  const m = /^\/(?:fizz|fission)-function\//.exec(url);
  if (!m) return url;
  let rest = url.slice(m[0].length);
  for (const p of [`${rec.namespace}/${rec.function}`, rec.function]) {
    if (rest === p || rest.startsWith(`${p}/`) || rest.startsWith(`${p}?`)) {
      rest = rest.slice(p.length);
      break;
    }
  }
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/** Waits for the runtime's "listening on host:port" line; its other output goes to stderr. */
function listening(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolveBase, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = timeoutMs ? setTimeout(() => fail(new Error(`the runtime did not start within ${timeoutMs / 1000} s`)), timeoutMs) : undefined;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new FizzError("UNAVAILABLE", err.message));
    };
    child.once("exit", (code) => fail(new Error(`the runtime exited (code ${code}) before listening`)));
    child.once("error", fail);
    lines.on("line", (line) => {
      const m = /listening on (\S+):(\d+)/.exec(line);
      if (!done && m) {
        done = true;
        clearTimeout(timer);
        resolveBase(`http://${m[1]}:${m[2]}`);
      } else process.stderr.write(`${line}\n`);
    });
  });
}
