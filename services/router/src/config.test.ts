import { describe, expect, it } from "@jest/globals";
import { routerConfig } from "./config.js";

describe("routerConfig", () => {
  it("has defaults for everything", () => {
    expect(routerConfig({})).toEqual({
      listen: "127.0.0.1:8888",
      admin: "127.0.0.1:9090",
      executor: "127.0.0.1:9091",
      maxBodyBytes: 10 * 1024 * 1024,
      retry: { attempts: 5, initialBackoffMs: 20 },
      tapIntervalMs: 5000,
      recorder: "127.0.0.1:9094",
      recordFlushMs: 200,
    });
  });

  it("reads addresses and tuning from the environment", () => {
    const c = routerConfig({
      FIZZ_ROUTER: "http://0.0.0.0:0",
      FIZZ_ADMIN: "10.0.0.1:1",
      FIZZ_EXECUTOR: "grpc://10.0.0.2:2",
      FIZZ_ROUTER_MAX_BODY_BYTES: "1024",
      FIZZ_ROUTER_RETRY_ATTEMPTS: "2",
      FIZZ_ROUTER_RETRY_BACKOFF_MS: "5",
      FIZZ_ROUTER_TAP_INTERVAL_MS: "100",
      FIZZ_RECORDER: "10.0.0.3:3",
      FIZZ_ROUTER_RECORD_FLUSH_MS: "50",
    });
    expect(c).toEqual({
      listen: "0.0.0.0:0",
      admin: "10.0.0.1:1",
      executor: "10.0.0.2:2",
      maxBodyBytes: 1024,
      retry: { attempts: 2, initialBackoffMs: 5 },
      tapIntervalMs: 100,
      recorder: "10.0.0.3:3",
      recordFlushMs: 50,
    });
  });

  it("rejects bad numbers with one message naming them", () => {
    expect(() => routerConfig({ FIZZ_ROUTER_MAX_BODY_BYTES: "lots", FIZZ_ROUTER_RETRY_ATTEMPTS: "0" })).toThrow(
      /FIZZ_ROUTER_MAX_BODY_BYTES[\s\S]*FIZZ_ROUTER_RETRY_ATTEMPTS/,
    );
  });
});
