// Fission's Python function forms and Flask's request API, run twice: with whatever `flask` this
// python3 can import ("auto": real Flask where installed) and with the runtime's own shim forced
// (FIZZ_PYTHON_FLASK=shim). Both must give the same answers.
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { cleanup, type RuntimeProc } from "../../nodejs/src/__fixtures__/runtime-process.js";
import { flaskInstalled, specializedPython } from "./__fixtures__/python.js";

jest.setTimeout(60_000);

// One module, one entry point: main() dispatches on the path, so one process serves every form.
const FUNCTIONS = `
import time
from flask import request, Response, jsonify, make_response, abort, current_app

def text(): return "hi"
def status(): return ("created", 201)
def status_headers(): return ("teapot", 418, {"X-A": "1"})
def body_headers(): return ("with headers", {"X-B": "2"})
def response():
    r = Response("resp body", status=202, mimetype="text/plain")
    r.headers["X-C"] = "3"
    return r
def dict_(): return {"b": 1, "a": [1, 2]}
def list_(): return [3, 2, 1]
def jsonify_(): return jsonify(ok=True, n=2)
def bytes_(): return b"raw bytes"
def make():
    r = make_response("made", 201)
    r.headers["X-D"] = "4"
    return r
def cookie():
    r = make_response("c")
    r.set_cookie("k", "v", httponly=True)
    return r
def stream():
    def gen():
        yield "a"
        yield "b"
        yield "c"
    return Response(gen(), mimetype="text/plain")
def abort_(): abort(404)
def raises(): raise ValueError("boom")
def none(): return None
def missing_arg(): return request.args["nope"]
def json_only(): return jsonify(request.get_json())
def slow():
    time.sleep(1)
    return "slow"
def log():
    current_app.logger.warning("logged from function")
    print("printed from function")
    return "logged"
def upload():
    f = request.files["doc"]
    return jsonify(name=f.filename, content=f.read().decode(), field=request.form["field"])
def echo():
    return jsonify(
        method=request.method, path=request.path, full_path=request.full_path,
        args=request.args.to_dict(flat=False), a=request.args.get("a"), n=request.args.get("n", type=int),
        header=request.headers.get("x-custom"), param=request.headers.get("X-Fission-Params-Id"),
        data=request.get_data(as_text=True), json=request.get_json(silent=True), form=request.form.to_dict(),
        is_json=request.is_json, content_type=request.content_type, mimetype=request.mimetype,
        cookies=dict(request.cookies), values=request.values.to_dict(),
    )

def main():
    name = request.path.strip("/").split("/")[0] or "text"
    return globals()[name]()
`;

afterAll(cleanup);

describe.each(["auto", "shim"])("flask %s", (flavor) => {
  let r: RuntimeProc & { flask: string };
  const call = (path: string, init?: RequestInit) => fetch(r.base + path, init);
  const body = async (path: string, init?: RequestInit) => {
    const res = await call(path, init);
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text(), headers: res.headers };
  };

  beforeAll(async () => {
    r = await specializedPython({ "fns.py": FUNCTIONS }, ".", "fns", { FIZZ_PYTHON_FLASK: flavor, FIZZ_MAX_BODY_BYTES: "100000" });
  });

  it("uses real Flask exactly when it is importable and not hidden", () => {
    expect(r.flask).toBe(flavor === "auto" && flaskInstalled() ? "real" : "shim");
  });

  it.each([
    ["/text", 200, "text/html; charset=utf-8", "hi"],
    ["/status", 201, "text/html; charset=utf-8", "created"],
    ["/status_headers", 418, "text/html; charset=utf-8", "teapot"],
    ["/body_headers", 200, "text/html; charset=utf-8", "with headers"],
    ["/response", 202, "text/plain; charset=utf-8", "resp body"],
    ["/dict_", 200, "application/json", `{"a":[1,2],"b":1}\n`],
    ["/list_", 200, "application/json", `[3,2,1]\n`],
    ["/jsonify_", 200, "application/json", `{"n":2,"ok":true}\n`],
    ["/bytes_", 200, "text/html; charset=utf-8", "raw bytes"],
    ["/make", 201, "text/html; charset=utf-8", "made"],
    ["/stream", 200, "text/plain; charset=utf-8", "abc"],
  ])("%s answers %d %s", async (path, status, type, text) => {
    const res = await body(path);
    expect(res).toMatchObject({ status, type, text });
  });

  it("sends the headers a function returns, and cookies", async () => {
    expect((await body("/status_headers")).headers.get("x-a")).toBe("1");
    expect((await body("/body_headers")).headers.get("x-b")).toBe("2");
    expect((await body("/response")).headers.get("x-c")).toBe("3");
    expect((await body("/make")).headers.get("x-d")).toBe("4");
    const cookie = (await body("/cookie")).headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^k=v; /);
    expect(cookie).toMatch(/HttpOnly/i);
    const stream = await call("/stream");
    expect(stream.headers.get("transfer-encoding")).toBe("chunked");
    await stream.text();
  });

  it("turns abort(), bad keys and bad JSON into 4xx, like Flask", async () => {
    expect((await body("/abort_")).status).toBe(404);
    expect((await body("/missing_arg")).status).toBe(400);
    expect((await body("/json_only", { method: "POST", body: "x=1", headers: { "content-type": "text/plain" } })).status).toBe(415);
    expect((await body("/json_only", { method: "POST", body: "{", headers: { "content-type": "application/json" } })).status).toBe(400);
  });

  it("answers 500 with the error when a function raises or returns None, and keeps serving", async () => {
    const res = await body("/raises");
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ error: "function error: ValueError: boom" });
    await r.waitFor("stderr", /fizz-runtime: function error: Traceback[\s\S]*ValueError: boom/);
    const none = await body("/none");
    expect(none.status).toBe(500);
    expect(JSON.parse(none.text).error).toMatch(/^function error: TypeError: .*did not return a valid response/);
    expect((await body("/text")).text).toBe("hi");
  });

  it("gives functions the request: method, path, args, headers, data, JSON, cookies", async () => {
    const res = await body("/echo/sub?a=1&a=2&n=7", {
      method: "PUT",
      body: JSON.stringify({ x: [1, "two"] }),
      headers: { "content-type": "application/json", "x-custom": "c", "x-fission-params-id": "42", cookie: "s=abc; t=1" },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      method: "PUT",
      path: "/echo/sub",
      full_path: "/echo/sub?a=1&a=2&n=7",
      args: { a: ["1", "2"], n: ["7"] },
      a: "1",
      n: 7,
      header: "c",
      param: "42",
      data: `{"x":[1,"two"]}`,
      json: { x: [1, "two"] },
      form: {},
      is_json: true,
      content_type: "application/json",
      mimetype: "application/json",
      cookies: { s: "abc", t: "1" },
      values: { a: "1", n: "7" },
    });
  });

  it("parses urlencoded and multipart forms, and reads chunked bodies", async () => {
    const form = JSON.parse((await body("/echo?q=1", { method: "POST", body: new URLSearchParams({ f: "v", g: "w x" }) })).text);
    expect(form).toMatchObject({ form: { f: "v", g: "w x" }, values: { q: "1", f: "v", g: "w x" }, mimetype: "application/x-www-form-urlencoded", json: null });

    const fd = new FormData();
    fd.append("field", "value");
    fd.append("doc", new Blob(["file content"], { type: "text/plain" }), "notes.txt");
    expect(JSON.parse((await body("/upload", { method: "POST", body: fd })).text)).toEqual({ name: "notes.txt", content: "file content", field: "value" });

    const chunks = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("chunk one, "));
        c.enqueue(new TextEncoder().encode("chunk two"));
        c.close();
      },
    });
    const chunked = await body("/echo", { method: "POST", body: chunks, duplex: "half", headers: { "content-type": "text/plain" } } as RequestInit);
    expect(JSON.parse(chunked.text).data).toBe("chunk one, chunk two");
  });

  it("refuses bodies over FIZZ_MAX_BODY_BYTES with 413 before the function runs", async () => {
    const res = await body("/echo", { method: "POST", body: "x".repeat(100_001) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toEqual({ error: "request body larger than 100000 bytes" });
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < 11; i++) c.enqueue(new Uint8Array(10_000));
        c.close();
      },
    });
    expect((await body("/echo", { method: "POST", body: chunked, duplex: "half" } as RequestInit)).status).toBe(413);
    expect((await body("/text")).text).toBe("hi");
  });

  it("answers HEAD without a body", async () => {
    const res = await call("/text", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("2");
    expect(await res.text()).toBe("");
  });

  it("serves requests concurrently", async () => {
    const started = Date.now();
    const all = await Promise.all(Array.from({ length: 10 }, () => body("/slow")));
    expect(all.map((x) => x.text)).toEqual(Array(10).fill("slow"));
    expect(Date.now() - started).toBeLessThan(6_000); // one at a time would take 10 s
  });

  it("sends current_app.logger to stderr and print() to stdout as they happen", async () => {
    expect((await body("/log")).text).toBe("logged");
    await r.waitFor("stderr", "logged from function");
    await r.waitFor("stdout", "printed from function");
  });
});
