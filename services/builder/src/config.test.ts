import { describe, expect, it } from "@jest/globals";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@fizz/common";
import { configSchema } from "./config.js";

describe("builder config", () => {
  it("has defaults", () => {
    expect(loadConfig(configSchema, {}, "builder")).toEqual({
      address: "127.0.0.1:9093",
      admin: "127.0.0.1:9090",
      storage: "127.0.0.1:9092",
      stateDir: join(homedir(), ".fizz"),
      concurrency: 2,
      timeoutMs: 600_000,
      logMaxBytes: 256 * 1024,
      maxArchiveBytes: 256 * 1024 * 1024,
      literalMaxBytes: 256 * 1024,
    });
  });

  it("reads overrides and refuses bad values, listing them all", () => {
    const c = loadConfig(configSchema, { FIZZ_BUILDER: "http://0.0.0.0:0", FIZZ_BUILD_TIMEOUT_MS: "1000" }, "builder");
    expect(c.address).toBe("0.0.0.0:0");
    expect(c.timeoutMs).toBe(1000);
    expect(() => loadConfig(configSchema, { FIZZ_BUILDER: "nope", FIZZ_BUILD_CONCURRENCY: "0" }, "builder")).toThrow(
      /FIZZ_BUILDER[\s\S]*FIZZ_BUILD_CONCURRENCY/,
    );
  });
});
