import { describe, expect, it } from "@jest/globals";
import { loadConfig } from "@fizz/common";
import { configSchema } from "./config.js";
import { durableName } from "./queue.js";
import { streamNameFor } from "./nats.js";

describe("mqtrigger config", () => {
  it("has defaults: no queue configured", () => {
    expect(loadConfig(configSchema, {}, "mqtrigger")).toEqual({
      address: "127.0.0.1:9096",
      admin: "127.0.0.1:9090",
      router: "http://127.0.0.1:8888",
      natsServers: [],
      kafkaBrokers: [],
      ackWaitMs: 30_000,
      streamMaxAgeMs: 7 * 86_400_000,
      retryBackoffMs: 500,
      invokeTimeoutMs: 600_000,
      drainMs: 5000,
    });
  });

  it("reads lists and overrides, and refuses bad values, naming each", () => {
    const c = loadConfig(
      configSchema,
      { FIZZ_NATS_URL: "nats://a:4222, nats://b:4222", FIZZ_KAFKA_BROKERS: "k1:9092", FIZZ_ROUTER: "127.0.0.1:1234", FIZZ_NATS_STREAM_MAX_AGE: "12h" },
      "mqtrigger",
    );
    expect(c.natsServers).toEqual(["nats://a:4222", "nats://b:4222"]);
    expect(c.kafkaBrokers).toEqual(["k1:9092"]);
    expect(c.router).toBe("http://127.0.0.1:1234");
    expect(c.streamMaxAgeMs).toBe(12 * 3_600_000);
    expect(() =>
      loadConfig(configSchema, { FIZZ_MQTRIGGER: "nope", FIZZ_MQT_ACK_WAIT_MS: "10", FIZZ_NATS_STREAM_MAX_AGE: "soon" }, "mqtrigger"),
    ).toThrow(/FIZZ_MQTRIGGER[\s\S]*FIZZ_NATS_STREAM_MAX_AGE[\s\S]*FIZZ_MQT_ACK_WAIT_MS|FIZZ_MQTRIGGER[\s\S]*FIZZ_MQT_ACK_WAIT_MS[\s\S]*FIZZ_NATS_STREAM_MAX_AGE/);
  });
});

describe("names on the queue", () => {
  it("derives a durable name from namespace, name and uid: stable, and new for a re-created trigger", () => {
    expect(durableName("default", "orders", "6f1c2a9e-1b2c-4d5e-8f90-123456789abc")).toBe("fizz-mqt-default-orders-6f1c2a9e1b2c");
    expect(durableName("default", "orders", "aaaa")).not.toBe(durableName("default", "orders", "bbbb"));
    expect(durableName("default", "orders", "")).toMatch(/^[\w-]+$/);
  });

  it("names streams the mqtrigger creates after their subject", () => {
    expect(streamNameFor("orders.done")).toBe("FIZZ_MQT_ORDERS_DONE");
  });
});
