import { describe, expect, it } from "@jest/globals";
import { homedir } from "node:os";
import { join } from "node:path";
import { FizzError, loadConfig } from "@fizz/common";
import { configSchema } from "./config.js";

const load = (env: Record<string, string>) => loadConfig(configSchema, env, "storage");

describe("storage config", () => {
  it("has defaults", () => {
    expect(load({})).toEqual({ address: "127.0.0.1:9092", stateDir: join(homedir(), ".fizz"), maxBytes: 256 * 1024 * 1024 });
  });

  it("reads FIZZ_STORAGE (port 0 allowed, scheme stripped), FIZZ_STATE_DIR and FIZZ_STORAGE_MAX_BYTES", () => {
    expect(load({ FIZZ_STORAGE: "grpc://0.0.0.0:0", FIZZ_STATE_DIR: "/var/fizz", FIZZ_STORAGE_MAX_BYTES: "1024" })).toEqual({
      address: "0.0.0.0:0",
      stateDir: "/var/fizz",
      maxBytes: 1024,
    });
  });

  it("names every bad setting", () => {
    let err: unknown;
    try {
      load({ FIZZ_STORAGE: "nohost", FIZZ_STORAGE_MAX_BYTES: "-5" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FizzError);
    expect((err as Error).message).toMatch(/FIZZ_STORAGE:.*\n.*FIZZ_STORAGE_MAX_BYTES/s);
  });
});
