import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { removeFixtures, specialized, stopAll, type Running } from "./__fixtures__/harness.js";

// Echoes what the runtime made of the request.
const ECHO = `module.exports = async ({ request: r, traceparent }) => ({
  body: {
    body: Buffer.isBuffer(r.body) ? { buffer: [...r.body] } : r.body,
    bodyType: typeof r.body,
    raw: r.rawBody.toString("base64"),
    query: { ...r.query },
    path: r.path,
    params: r.params,
    method: r.method,
    traceparent: traceparent ?? null,
    headerTraceparent: r.headers.traceparent ?? null,
  },
});`;

const FAILING = `
  exports.throws = () => { throw new Error("sync boom"); };
  exports.rejects = async () => { await null; throw new TypeError("async boom"); };
  exports.cbThrows = (context, callback) => { throw new Error("callback boom"); };
  exports.cbError = (context, callback) => callback(new Error("passed to callback"));
  exports.flaky = async ({ request }) => { if (request.query.fail) throw new Error("asked to"); return { body: "fine" }; };
`;

let echo: Running;
let stderr: string[] = [];

beforeAll(async () => {
  echo = await specialized({ "echo.js": ECHO }, "echo.js", "", { maxBodyBytes: 1024 });
  jest.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await stopAll();
  await removeFixtures();
});

async function post(body: string | Uint8Array<ArrayBuffer> | undefined, contentType?: string, url = "/"): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {};
  if (contentType) headers["content-type"] = contentType;
  const res = await fetch(echo.base + url, { method: "POST", headers, body });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("request parsing", () => {
  it("parses JSON bodies, and gives {} for an empty one", async () => {
    expect((await post(`{"a":[1,2]}`, "application/json")).body).toEqual({ a: [1, 2] });
    expect((await post(`"str"`, "application/vnd.api+json")).body).toBe("str");
    expect((await post("", "application/json")).body).toEqual({});
  });

  it("answers 400 for invalid JSON without calling the function", async () => {
    const res = await fetch(echo.base, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid JSON body" });
  });

  it("parses text/* as a string and form bodies as an object", async () => {
    expect((await post("hello ✓", "text/plain; charset=utf-8")).body).toBe("hello ✓");
    expect((await post("", "text/plain")).body).toBe("");
    expect((await post("a=1&b=x+y&a=2", "application/x-www-form-urlencoded")).body).toEqual({ a: ["1", "2"], b: "x y" });
  });

  it("gives other bodies as a Buffer, and rawBody always", async () => {
    const r = await post(new Uint8Array([0, 255, 7]), "application/octet-stream");
    expect(r.body).toEqual({ buffer: [0, 255, 7] });
    expect(r.raw).toBe(Buffer.from([0, 255, 7]).toString("base64"));
    const none = await fetch(echo.base + "/p/q");
    const n = (await none.json()) as Record<string, unknown>;
    expect(n.body).toEqual({});
    expect(n.raw).toBe("");
    expect(n.path).toBe("/p/q");
  });

  it("exposes the query and the router's path parameters", async () => {
    const res = await fetch(`${echo.base}/items?x=1&y=a%20b&x=2`, {
      headers: { "X-Fizz-Params-id": "42", "X-Fission-Params-Name": "bob" },
    });
    const r = (await res.json()) as Record<string, unknown>;
    expect(r.query).toEqual({ x: ["1", "2"], y: "a b" });
    expect(r.params).toEqual({ id: "42", Name: "bob" });
  });

  it("hands the caller's W3C traceparent to the function (context.traceparent and the header)", async () => {
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const r = (await (await fetch(`${echo.base}/t`, { headers: { traceparent: tp } })).json()) as Record<string, unknown>;
    expect(r.traceparent).toBe(tp);
    expect(r.headerTraceparent).toBe(tp);
    const none = (await (await fetch(`${echo.base}/t`)).json()) as Record<string, unknown>;
    expect(none.traceparent).toBeNull();
  });

  it("refuses bodies over the limit with 413, by content-length and when chunked", async () => {
    const big = await fetch(echo.base, { method: "POST", body: "x".repeat(2000) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/larger than 1024 bytes/);
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new Uint8Array(600));
        c.close();
      },
    });
    const chunked = await fetch(echo.base, { method: "POST", body: chunks, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    // and the runtime still serves
    expect((await post("ok", "text/plain")).body).toBe("ok");
  });
});

describe("failure isolation", () => {
  let r: Running;
  beforeAll(async () => {
    r = await specialized({ "fail.js": FAILING }, "fail.js", "flaky");
  });

  it.each([
    ["throws", "function error: sync boom"],
    ["rejects", "function error: async boom"],
    ["cbThrows", "function error: callback boom"],
    ["cbError", "function error: passed to callback"],
  ])("answers 500 when the function %s", async (name, message) => {
    const f = await specialized({ "fail.js": FAILING }, "fail.js", name);
    const res = await fetch(f.base);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: message });
    expect(stderr.join("")).toContain(message.replace("function error: ", ""));
  });

  it("keeps serving after a failed request, and logs the stack", async () => {
    stderr = [];
    const bad = await fetch(`${r.base}/?fail=1`);
    expect(bad.status).toBe(500);
    expect(stderr.join("")).toMatch(/asked to\n\s+at /);
    const good = await fetch(r.base);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe("fine");
  });
});

describe("client disconnects", () => {
  it("destroys a streamed body when the client leaves, and answers late results harmlessly", async () => {
    const r = await specialized(
      {
        "leave.js": `
          const { Readable } = require("node:stream");
          let closed = false;
          module.exports = async ({ request }) => {
            if (request.query.check) return { body: { closed } };
            if (request.query.slow) { await new Promise((r) => setTimeout(r, 100)); return { body: "late" }; }
            let i = 0;
            const s = new Readable({ read() { setTimeout(() => this.push("tick " + i++ + "\\n"), 5); } });
            s.on("close", () => { closed = true; });
            return { body: s, headers: { "content-type": "text/plain" } };
          };`,
      },
      "leave.js",
    );
    const ac = new AbortController();
    const res = await fetch(r.base, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const slow = new AbortController();
    const late = fetch(`${r.base}/?slow=1`, { signal: slow.signal }).catch(() => "aborted");
    setTimeout(() => slow.abort(), 20);
    expect(await late).toBe("aborted");
    await new Promise((res) => setTimeout(res, 150));
    expect(await (await fetch(`${r.base}/?check=1`)).json()).toEqual({ closed: true });
  });
});

