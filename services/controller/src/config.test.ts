import { describe, expect, it } from "@jest/globals";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@fizz/common";
import { configSchema } from "./config.js";

const load = (env: Record<string, string>) => loadConfig(configSchema, env, "controller");

describe("config", () => {
  it("defaults to the shared admin address, ~/.fizz and a 1000-event history", () => {
    expect(load({})).toEqual({ address: "127.0.0.1:9090", stateDir: join(homedir(), ".fizz"), historySize: 1000, metricsAddress: "127.0.0.1:9190" });
  });

  it("reads FIZZ_ADMIN (port 0 allowed, scheme stripped), FIZZ_STATE_DIR and FIZZ_WATCH_HISTORY", () => {
    expect(load({ FIZZ_ADMIN: "grpc://0.0.0.0:0", FIZZ_STATE_DIR: "/tmp/fizz-x", FIZZ_WATCH_HISTORY: "50" })).toEqual({
      address: "0.0.0.0:0",
      stateDir: "/tmp/fizz-x",
      historySize: 50,
      // The metrics listener follows the gRPC address: port 0 stays 0.
      metricsAddress: "0.0.0.0:0",
    });
  });

  it("names every bad setting", () => {
    expect(() => load({ FIZZ_ADMIN: "nohost", FIZZ_WATCH_HISTORY: "0" })).toThrow(
      /invalid controller configuration:\n {2}FIZZ_ADMIN: must be host:port.*\n {2}FIZZ_WATCH_HISTORY: /s,
    );
  });
});
