import { z } from "zod";
import { addressField, parseDurationMs, routerUrlField } from "@fizz/common";

const int = (min: number, def: number) => z.coerce.number().int().min(min).default(def);
/** A comma-separated list; empty or unset means "not configured". */
const list = () =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean));

/** The mqtrigger's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where the HTTP endpoint (/healthz, /triggers) listens. */
    FIZZ_MQTRIGGER: addressField("mqtrigger"),
    FIZZ_ADMIN: addressField("controller"),
    /** Functions are invoked at <router>/fizz-function/<name>. */
    FIZZ_ROUTER: routerUrlField(),
    /** NATS servers (nats://host:port, comma-separated); unset: nats triggers are reported, not run. */
    FIZZ_NATS_URL: list(),
    /** Kafka bootstrap brokers (host:port, comma-separated); unset: kafka triggers are reported, not run. */
    FIZZ_KAFKA_BROKERS: list(),
    /** JetStream ack wait: an unacknowledged message is redelivered after this (e.g. after a crash). */
    FIZZ_MQT_ACK_WAIT_MS: int(1000, 30_000),
    /** max_age of the streams the mqtrigger creates for subjects no stream covers. */
    FIZZ_NATS_STREAM_MAX_AGE: z
      .string()
      .default("7d")
      .transform((v, ctx) => {
        const ms = parseDurationMs(v);
        if (!ms) ctx.addIssue({ code: "custom", message: `must be a positive duration such as "7d" or "12h", got "${v}"` });
        return ms ?? 0;
      }),
    /** Backoff before the first retry of a failed invocation; doubles per retry, at most 30 s. */
    FIZZ_MQT_RETRY_BACKOFF_MS: int(0, 500),
    /** One invocation taking longer fails (the router's own function timeout usually comes first). */
    FIZZ_MQT_INVOKE_TIMEOUT_MS: int(1, 10 * 60_000),
    /** On stop or trigger removal, how long messages being handled may finish before they are left for redelivery. */
    FIZZ_MQT_DRAIN_MS: int(0, 5000),
  })
  .transform((e) => ({
    address: e.FIZZ_MQTRIGGER,
    admin: e.FIZZ_ADMIN,
    router: e.FIZZ_ROUTER,
    natsServers: e.FIZZ_NATS_URL,
    kafkaBrokers: e.FIZZ_KAFKA_BROKERS,
    ackWaitMs: e.FIZZ_MQT_ACK_WAIT_MS,
    streamMaxAgeMs: e.FIZZ_NATS_STREAM_MAX_AGE,
    retryBackoffMs: e.FIZZ_MQT_RETRY_BACKOFF_MS,
    invokeTimeoutMs: e.FIZZ_MQT_INVOKE_TIMEOUT_MS,
    drainMs: e.FIZZ_MQT_DRAIN_MS,
  }));

export type MqTriggerConfig = z.infer<typeof configSchema>;
