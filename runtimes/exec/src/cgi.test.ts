import { describe, expect, it } from "@jest/globals";
import { DEFAULT_CONTENT_TYPE, parseOutput } from "./cgi.js";

const parse = (s: string) => {
  const o = parseOutput(Buffer.from(s));
  return { ...o, body: o.body.toString() };
};

describe("CGI header block", () => {
  it("takes plain output as the body, 200 text/plain", () => {
    expect(parse("hello\nworld\n")).toEqual({ status: 200, headers: [["content-type", DEFAULT_CONTENT_TYPE]], body: "hello\nworld\n" });
    expect(parse("")).toMatchObject({ status: 200, body: "" });
  });

  it("reads Status, Content-Type and other headers up to the blank line", () => {
    expect(parse("Status: 404 Not Found\nContent-Type: application/json\nSet-Cookie: a=1\nSet-Cookie: b=2\n\n{\"x\":1}")).toEqual({
      status: 404,
      reason: "Not Found",
      headers: [
        ["Content-Type", "application/json"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
      ],
      body: `{"x":1}`,
    });
    expect(parse("content-type: text/csv\r\n\r\na,b\r\n")).toEqual({ status: 200, headers: [["content-type", "text/csv"]], body: "a,b\r\n" });
    expect(parse("Status: 201\n\n")).toEqual({ status: 201, reason: undefined, headers: [["content-type", DEFAULT_CONTENT_TYPE]], body: "" });
  });

  it("redirects with Location (302 unless Status says otherwise)", () => {
    expect(parse("Location: /there\n\n")).toMatchObject({ status: 302, headers: [["Location", "/there"], ["content-type", DEFAULT_CONTENT_TYPE]] });
    expect(parse("Status: 301\nLocation: /there\n\n").status).toBe(301);
  });

  it.each([
    ["a first line that is not Status/Content-Type/Location", "X-Custom: 1\n\nbody"],
    ["no blank line ending the block", "Content-Type: text/html\n<p>hi</p>"],
    ["a line that is not a header", "Status: 200\nnot a header\n\nbody"],
    ["a bad status", "Status: 9000\n\nbody"],
    ["a status that is not a number", "Status: OK\n\nbody"],
    ["a block past 64 KiB", `Content-Type: text/plain\nX-Big: ${"x".repeat(70_000)}\n\nbody`],
  ])("is all body with %s", (_why, out) => {
    expect(parse(out)).toEqual({ status: 200, headers: [["content-type", DEFAULT_CONTENT_TYPE]], body: out });
  });
});
