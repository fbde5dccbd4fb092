import { z } from "zod";
import { addressField, routerUrl } from "@fizz/common";

const int = (min: number, def: number) => z.coerce.number().int().min(min).default(def);

/** FIZZ_ROUTER: one router (URL or host:port) or several, comma-separated, whose counters are summed. */
const routersField = () =>
  z
    .string()
    .optional()
    .transform((v) => {
      const parts = (v ?? "").split(",").map((p) => p.trim()).filter(Boolean);
      return parts.length ? parts.map((p) => routerUrl({ FIZZ_ROUTER: p })) : [routerUrl({})];
    })
    .refine((urls) => urls.every((u) => URL.canParse(u)), { message: "must be router URLs or host:port addresses, comma-separated" });

/** The canary service's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where the HTTP endpoint (/healthz, /canaries) listens. */
    FIZZ_CANARY: addressField("canary"),
    FIZZ_ADMIN: addressField("controller"),
    /** Routers whose GET /metrics are read when no Prometheus is configured. */
    FIZZ_ROUTER: routersField(),
    /** Prometheus base URL (http://host:9090); when set, observations are PromQL queries to it. */
    FIZZ_PROMETHEUS_URL: z
      .string()
      .optional()
      .transform((v) => v?.trim().replace(/\/+$/, "") || undefined)
      .refine((v) => v === undefined || (URL.canParse(v) && /^https?:/.test(v)), { message: "must be an http(s) URL, e.g. http://127.0.0.1:9090" }),
    /** One Prometheus query or router scrape taking longer fails that step's reading. */
    FIZZ_CANARY_METRICS_TIMEOUT_MS: int(1, 5000),
    /** Pause before trying again when the controller or the metrics could not be reached. */
    FIZZ_CANARY_RETRY_MS: int(1, 2000),
  })
  .transform((e) => ({
    address: e.FIZZ_CANARY,
    admin: e.FIZZ_ADMIN,
    routers: e.FIZZ_ROUTER,
    prometheusUrl: e.FIZZ_PROMETHEUS_URL,
    metricsTimeoutMs: e.FIZZ_CANARY_METRICS_TIMEOUT_MS,
    retryMs: e.FIZZ_CANARY_RETRY_MS,
  }));

export type CanaryServiceConfig = z.infer<typeof configSchema>;
