import { describe, expect, it } from "@jest/globals";
import { BoundedLog } from "./log.js";

describe("BoundedLog", () => {
  it("keeps everything under the limit", () => {
    const log = new BoundedLog(100);
    log.write("hello ");
    log.line("world");
    expect(log.toString()).toBe("hello world\n");
    expect(log.omittedBytes).toBe(0);
  });

  it("keeps the head and the tail and counts what it dropped", () => {
    const log = new BoundedLog(20);
    log.write("0123456789"); // head (10 bytes)
    for (let i = 0; i < 10; i++) log.write(`${String.fromCharCode(97 + i)}`.repeat(5));
    expect(log.omittedBytes).toBe(40);
    expect(log.toString()).toBe("0123456789\n… 40 bytes omitted …\niiiiijjjjj");
  });

  it("splits a chunk that straddles the head", () => {
    const log = new BoundedLog(8);
    log.write("abcdefghijkl");
    expect(log.toString()).toBe("abcd\n… 4 bytes omitted …\nijkl");
  });
});
