import { describe, expect, it } from "@jest/globals";
import { homedir } from "node:os";
import { join } from "node:path";
import { routerConfig } from "./config.js";

const ASYNC_DEFAULTS = {
  dir: join(homedir(), ".fizz", "router", "invocations"),
  attempts: 3,
  backoffMs: 1000,
  concurrency: 10,
  maxQueued: 1000,
  maxQueuedBytes: 256 * 1024 * 1024,
  resultBytes: 64 * 1024,
  retention: 10_000,
  retentionMs: 24 * 3_600_000,
  redisUrl: undefined,
  leaseMs: 30_000,
  pollMs: 250,
};

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
      recordNice: 10,
      async: ASYNC_DEFAULTS,
      metrics: true,
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
      FIZZ_ROUTER_RECORD_NICE: "0",
      FIZZ_STATE_DIR: "/var/fizz",
      FIZZ_ROUTER_ASYNC_ATTEMPTS: "5",
      FIZZ_ROUTER_ASYNC_BACKOFF_MS: "10",
      FIZZ_ROUTER_ASYNC_CONCURRENCY: "2",
      FIZZ_ROUTER_ASYNC_QUEUE: "7",
      FIZZ_ROUTER_ASYNC_QUEUE_BYTES: "4096",
      FIZZ_ROUTER_ASYNC_RESULT_BYTES: "0",
      FIZZ_ROUTER_ASYNC_RETENTION: "3",
      FIZZ_ROUTER_ASYNC_RETENTION_AGE: "90m",
      FIZZ_ROUTER_ASYNC_REDIS_URL: "redis://redis:6379/0",
      FIZZ_ROUTER_ASYNC_LEASE: "5s",
      FIZZ_ROUTER_ASYNC_POLL_MS: "100",
      FIZZ_METRICS: "off",
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
      recordNice: 0,
      async: {
        dir: "/var/fizz/router/invocations",
        attempts: 5,
        backoffMs: 10,
        concurrency: 2,
        maxQueued: 7,
        maxQueuedBytes: 4096,
        resultBytes: 0,
        retention: 3,
        retentionMs: 90 * 60_000,
        redisUrl: "redis://redis:6379/0",
        leaseMs: 5000,
        pollMs: 100,
      },
      metrics: false,
    });
  });

  it("rejects bad numbers with one message naming them", () => {
    expect(() => routerConfig({ FIZZ_ROUTER_MAX_BODY_BYTES: "lots", FIZZ_ROUTER_RETRY_ATTEMPTS: "0" })).toThrow(
      /FIZZ_ROUTER_MAX_BODY_BYTES[\s\S]*FIZZ_ROUTER_RETRY_ATTEMPTS/,
    );
  });

  it("rejects a nice value outside 0-19", () => {
    expect(() => routerConfig({ FIZZ_ROUTER_RECORD_NICE: "20" })).toThrow(/FIZZ_ROUTER_RECORD_NICE/);
    expect(() => routerConfig({ FIZZ_ROUTER_RECORD_NICE: "-5" })).toThrow(/FIZZ_ROUTER_RECORD_NICE/);
  });

  it("rejects bad async settings by name", () => {
    expect(() => routerConfig({ FIZZ_ROUTER_ASYNC_RETENTION_AGE: "a day" })).toThrow(/FIZZ_ROUTER_ASYNC_RETENTION_AGE: must be a duration such as 30m, 24h or 7d/);
    expect(() => routerConfig({ FIZZ_ROUTER_ASYNC_RETENTION_AGE: "0s" })).toThrow(/FIZZ_ROUTER_ASYNC_RETENTION_AGE/);
    expect(() => routerConfig({ FIZZ_ROUTER_ASYNC_REDIS_URL: "http://redis:6379" })).toThrow(/FIZZ_ROUTER_ASYNC_REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => routerConfig({ FIZZ_ROUTER_ASYNC_REDIS_URL: "not a url" })).toThrow(/FIZZ_ROUTER_ASYNC_REDIS_URL/);
    expect(() => routerConfig({ FIZZ_ROUTER_ASYNC_LEASE: "10ms" })).toThrow(/FIZZ_ROUTER_ASYNC_LEASE: must be a duration of at least 100ms/);
    expect(() => routerConfig({ FIZZ_ROUTER_ASYNC_ATTEMPTS: "0", FIZZ_ROUTER_ASYNC_CONCURRENCY: "-1" })).toThrow(
      /FIZZ_ROUTER_ASYNC_ATTEMPTS[\s\S]*FIZZ_ROUTER_ASYNC_CONCURRENCY/,
    );
  });
});
