import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { addressField, metricsAddressField, metricsListen, metricsSwitchField, stateDirField } from "@fizz/common";

/** How to launch one runtime locally: `execPath script ...args`, forked with an IPC channel. */
export interface RuntimeCommand {
  execPath: string;
  script: string;
  args: string[];
  /** What to say when execPath cannot be found (a language runtime that is not installed). */
  missing?: string;
}

// services/executor/{src,dist}/config.js → repo root.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Built-in runtimes shipped in this repository; `python` is the interpreter (FIZZ_PYTHON). */
export function builtinRuntimes(python = "python3"): Record<string, RuntimeCommand> {
  return {
    nodejs: { execPath: process.execPath, script: join(repoRoot, "runtimes", "nodejs", "dist", "main.js"), args: [] },
    python: {
      execPath: python,
      script: join(repoRoot, "runtimes", "python", "main.py"),
      args: [],
      missing: `${python} not found: the python runtime needs Python 3 (install python3, or set FIZZ_PYTHON to an interpreter's path)`,
    },
    exec: { execPath: process.execPath, script: join(repoRoot, "runtimes", "exec", "dist", "main.js"), args: [] },
  };
}

// FIZZ_RUNTIMES: JSON {"python": "/path/main.py"} or {"python": {"execPath": "...", "script": "...", "args": []}}.
const runtimeEntry = z.union([
  z.string().min(1).transform((script) => ({ execPath: process.execPath, script, args: [] as string[] })),
  z.object({ execPath: z.string().default(process.execPath), script: z.string().min(1), args: z.array(z.string()).default([]) }),
]);
const runtimesJson = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v) return {};
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON: {\"name\": \"/path/to/script\" | {execPath, script, args}}" });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), runtimeEntry));

const ms = (def: number) => z.coerce.number().int().min(1).default(def);

/** The executor's settings, from environment variables. */
export const configSchema = z
  .object({
    /** Where ExecutorService listens (port 0: any free port). */
    FIZZ_EXECUTOR: addressField("executor"),
    FIZZ_ADMIN: addressField("controller"),
    FIZZ_STORAGE: addressField("storage"),
    FIZZ_STATE_DIR: stateDirField(),
    FIZZ_RUNTIMES: runtimesJson,
    /** The Python 3 interpreter of the built-in python runtime. */
    FIZZ_PYTHON: z.string().min(1).default("python3"),
    /** Largest deployment archive the executor downloads and unpacks. */
    FIZZ_MAX_ARCHIVE_BYTES: z.coerce.number().int().min(1).default(256 * 1024 * 1024),
    /** How often idle specialized instances are looked for. */
    FIZZ_REAP_INTERVAL_MS: ms(5_000),
    /** How long a runtime may take to start listening. */
    FIZZ_RUNTIME_START_TIMEOUT_MS: ms(15_000),
    /** Retired instances keep serving in-flight requests this long before they are stopped. */
    FIZZ_DRAIN_MS: z.coerce.number().int().min(0).default(3_000),
    /** SIGTERM → SIGKILL delay when the Environment sets no terminationGracePeriod. */
    FIZZ_STOP_GRACE_MS: ms(3_000),
    /** Disk budget of each function's runtime log ($FIZZ_STATE_DIR/logs), its one rotated file included. */
    FIZZ_FUNCTION_LOG_MAX_BYTES: z.coerce.number().int().min(64 * 1024).default(10 * 1024 * 1024),
    /** HTTP /metrics listener (FIZZ_METRICS=off: none). */
    FIZZ_EXECUTOR_METRICS: metricsAddressField("executor"),
    FIZZ_METRICS: metricsSwitchField(),
    /** Where runtime instances run: local processes, or pods in a Kubernetes cluster. */
    FIZZ_EXECUTOR_BACKEND: z.enum(["process", "kubernetes"]).default("process"),
    /** The namespace of runtime pods and pool Deployments (kubernetes backend). */
    FIZZ_FUNCTIONS_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a Kubernetes namespace name").default("fizz-function"),
    /** API server URL replacing the kubeconfig's (tests, port-forwarded API servers). */
    FIZZ_KUBE_SERVER: z.url().optional(),
    /** Images of the built-in runtimes and of the fetcher sidecar (kubernetes backend). */
    FIZZ_RUNTIME_IMAGE_NODEJS: z.string().min(1).default("fizz/runtime-nodejs:dev"),
    FIZZ_RUNTIME_IMAGE_PYTHON: z.string().min(1).default("fizz/runtime-python:dev"),
    FIZZ_RUNTIME_IMAGE_EXEC: z.string().min(1).default("fizz/runtime-exec:dev"),
    FIZZ_FETCHER_IMAGE: z.string().min(1).default("fizz/fetcher:dev"),
  })
  .transform((e) => ({
    address: e.FIZZ_EXECUTOR,
    admin: e.FIZZ_ADMIN,
    storage: e.FIZZ_STORAGE,
    stateDir: e.FIZZ_STATE_DIR,
    runtimes: { ...builtinRuntimes(e.FIZZ_PYTHON), ...e.FIZZ_RUNTIMES } as Record<string, RuntimeCommand>,
    maxArchiveBytes: e.FIZZ_MAX_ARCHIVE_BYTES,
    reapIntervalMs: e.FIZZ_REAP_INTERVAL_MS,
    startTimeoutMs: e.FIZZ_RUNTIME_START_TIMEOUT_MS,
    drainMs: e.FIZZ_DRAIN_MS,
    stopGraceMs: e.FIZZ_STOP_GRACE_MS,
    logMaxBytes: e.FIZZ_FUNCTION_LOG_MAX_BYTES,
    metricsAddress: e.FIZZ_METRICS ? metricsListen(e.FIZZ_EXECUTOR_METRICS, e.FIZZ_EXECUTOR) : undefined,
    kube:
      e.FIZZ_EXECUTOR_BACKEND === "kubernetes"
        ? {
            namespace: e.FIZZ_FUNCTIONS_NAMESPACE,
            server: e.FIZZ_KUBE_SERVER,
            runtimeImages: { nodejs: e.FIZZ_RUNTIME_IMAGE_NODEJS, python: e.FIZZ_RUNTIME_IMAGE_PYTHON, exec: e.FIZZ_RUNTIME_IMAGE_EXEC } as Record<string, string>,
            fetcherImage: e.FIZZ_FETCHER_IMAGE,
          }
        : undefined,
  }));

export type ExecutorConfig = z.infer<typeof configSchema>;

// Fission image names (and plain names) → built-in runtime. Tags/digests are ignored.
const IMAGE_PATTERNS: Array<[RegExp, string]> = [
  [/^(?:[\w.-]+(?::\d+)?\/)?fission\/node-env/, "nodejs"],
  [/^node(?:js)?(?:[-:@\d.]|$)/, "nodejs"],
  [/^(?:[\w.-]+(?::\d+)?\/)?fission\/python-env/, "python"],
  [/^python(?:[-:@\d.]|$)/, "python"],
  [/^(?:[\w.-]+(?::\d+)?\/)?fission\/binary-env/, "exec"],
];

/** The local runtime name for an Environment image, or undefined when none matches. */
export function runtimeNameOf(image: string, runtimes: Record<string, unknown>): string | undefined {
  const img = image.trim();
  if (runtimes[img]) return img;
  for (const [re, name] of IMAGE_PATTERNS) if (re.test(img)) return name;
  return undefined;
}
