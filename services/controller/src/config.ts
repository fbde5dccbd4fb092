import { z } from "zod";
import { addressField, metricsAddressField, metricsListen, metricsSwitchField, stateDirField } from "@fizz/common";

/** The controller's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where the admin API listens, host:port (port 0: any free port). */
    FIZZ_ADMIN: addressField("controller"),
    /** Root of all local state; resources live in <dir>/resources. */
    FIZZ_STATE_DIR: stateDirField(),
    /** How many recent changes a Watch can resume from before it must relist. */
    FIZZ_WATCH_HISTORY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    /** HTTP /metrics listener (FIZZ_METRICS=off: none). */
    FIZZ_CONTROLLER_METRICS: metricsAddressField("controller"),
    FIZZ_METRICS: metricsSwitchField(),
    /** Where resources live: "file" (embedded, under FIZZ_STATE_DIR) or "kubernetes" (fizz.dev CRs). */
    FIZZ_STORE: z.enum(["file", "kubernetes"]).default("file"),
    /** The controller's own namespace (holds the version counter ConfigMap) with FIZZ_STORE=kubernetes. */
    FIZZ_KUBE_NAMESPACE: z.string().min(1).default("fizz"),
    /** API server URL overriding the kubeconfig's (tests; otherwise in-cluster or ~/.kube/config). */
    FIZZ_KUBE_SERVER: z.url().optional(),
  })
  .transform((e) => ({
    address: e.FIZZ_ADMIN,
    stateDir: e.FIZZ_STATE_DIR,
    historySize: e.FIZZ_WATCH_HISTORY,
    metricsAddress: e.FIZZ_METRICS ? metricsListen(e.FIZZ_CONTROLLER_METRICS, e.FIZZ_ADMIN) : undefined,
    // Absent: the file store, so configs written as literals keep working.
    ...(e.FIZZ_STORE === "kubernetes" ? { kube: { namespace: e.FIZZ_KUBE_NAMESPACE, server: e.FIZZ_KUBE_SERVER } } : {}),
  }));

export type ControllerConfig = z.infer<typeof configSchema>;
