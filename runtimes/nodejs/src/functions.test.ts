import { afterAll, describe, expect, it } from "@jest/globals";
import { removeFixtures, specialized, stopAll } from "./__fixtures__/harness.js";

afterAll(async () => {
  await stopAll();
  await removeFixtures();
});

describe("function forms", () => {
  it("calls an async function and applies status, headers and a JSON body", async () => {
    const r = await specialized(
      { "hello.js": `module.exports = async (context) => ({ status: 201, body: { hi: context.request.method }, headers: { "x-fn": "yes" } });` },
      "hello.js",
    );
    const res = await fetch(`${r.base}/anything`);
    expect(res.status).toBe(201);
    expect(res.headers.get("x-fn")).toBe("yes");
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ hi: "GET" });
  });

  it("calls a sync function returning a string body with the default status 200", async () => {
    const r = await specialized({ "sync.js": `module.exports = function (context) { return { body: "hello, " + context.request.path }; };` }, "sync.js");
    const res = await fetch(`${r.base}/world?x=1`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await res.text()).toBe("hello, /world");
  });

  it("supports Fission's callback form (arity 2), also when called later", async () => {
    const r = await specialized(
      { "cb.js": `module.exports = (context, callback) => { setTimeout(() => callback(202, "queued", { "x-cb": "1" }), 5); };` },
      "cb.js",
    );
    const res = await fetch(r.base);
    expect(res.status).toBe(202);
    expect(res.headers.get("x-cb")).toBe("1");
    expect(await res.text()).toBe("queued");
  });

  it("loads an ESM default export", async () => {
    const r = await specialized({ "esm.mjs": `export default async () => ({ body: "esm default" });` }, "esm.mjs");
    expect(await (await fetch(r.base)).text()).toBe("esm default");
  });

  it("loads an ESM named export", async () => {
    const r = await specialized(
      { "named.mjs": `export const other = 1;\nexport async function hello(ctx) { return { body: "named " + ctx.request.query.who }; }` },
      "named.mjs",
      "hello",
    );
    expect(await (await fetch(`${r.base}/?who=ann`)).text()).toBe("named ann");
  });

  it("lets a function write to context.response directly", async () => {
    const r = await specialized(
      {
        "direct.js": `module.exports = async ({ response }) => {
          response.writeHead(203, { "content-type": "text/plain", "x-direct": "1" });
          response.write("part1,");
          await new Promise((r) => setTimeout(r, 5));
          response.end("part2");
        };`,
      },
      "direct.js",
    );
    const res = await fetch(r.base);
    expect(res.status).toBe(203);
    expect(res.headers.get("x-direct")).toBe("1");
    expect(await res.text()).toBe("part1,part2");
  });

  it("ends the response when the function returns nothing, keeping what it set on context.response", async () => {
    const r = await specialized(
      { "nothing.js": `module.exports = ({ response }) => { response.statusCode = 204; response.setHeader("x-set", "kept"); };` },
      "nothing.js",
    );
    const res = await fetch(r.base);
    expect(res.status).toBe(204);
    expect(res.headers.get("x-set")).toBe("kept");
    expect(await res.text()).toBe("");
  });
});

describe("response bodies", () => {
  const files = {
    "bodies.js": `
      const { Readable } = require("node:stream");
      exports.buffer = () => ({ body: Buffer.from([1, 2, 3]) });
      exports.typed = () => ({ body: Buffer.from("png?"), headers: { "content-type": "image/png" } });
      exports.stream = () => ({ status: 200, body: Readable.from(["a", "b", "c"]), headers: { "content-type": "text/plain" } });
      exports.web = () => ({ body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("web")); c.close(); } }) });
      exports.empty = () => ({ status: 200, body: null });
      exports.array = () => [1, 2];
      exports.plain = () => "just a string";
      exports.obj = () => ({ message: "no contract keys" });
      exports.number = () => ({ body: 42, status: "418" });
    `,
  };

  it("sends Buffers as octet-stream unless a content-type is set", async () => {
    const a = await specialized(files, "bodies.js", "buffer");
    const res = await fetch(a.base);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
    const b = await specialized(files, "bodies.js", "typed");
    const res2 = await fetch(b.base);
    expect(res2.headers.get("content-type")).toBe("image/png");
    expect(await res2.text()).toBe("png?");
  });

  it("pipes Node and web streams", async () => {
    const a = await specialized(files, "bodies.js", "stream");
    const res = await fetch(a.base);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("abc");
    const b = await specialized(files, "bodies.js", "web");
    expect(await (await fetch(b.base)).text()).toBe("web");
  });

  it("sends an empty body for null and JSON for other values", async () => {
    const empty = await specialized(files, "bodies.js", "empty");
    const res = await fetch(empty.base);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    const arr = await specialized(files, "bodies.js", "array");
    expect(await (await fetch(arr.base)).json()).toEqual([1, 2]);
    const plain = await specialized(files, "bodies.js", "plain");
    expect(await (await fetch(plain.base)).text()).toBe("just a string");
    const obj = await specialized(files, "bodies.js", "obj");
    expect(await (await fetch(obj.base)).json()).toEqual({ message: "no contract keys" });
    const num = await specialized(files, "bodies.js", "number");
    const nres = await fetch(num.base);
    expect(nres.status).toBe(418);
    expect(await nres.json()).toBe(42);
  });
});
