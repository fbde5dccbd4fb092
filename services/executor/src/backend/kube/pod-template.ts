// The objects the Kubernetes backend creates, per the pod conventions shared with newdeploy and
// the fetcher: labels, the runtime + fetcher pod template, and one pool Deployment per Environment.
import { createHash } from "node:crypto";
import type { V1Deployment, V1PodTemplateSpec, V1ResourceRequirements } from "@kubernetes/client-node";
import { runtimeNameOf } from "../../config.js";
import type { PoolSpec } from "../pool-backend.js";

export const LABEL = {
  managedBy: "app.kubernetes.io/managed-by",
  environment: "fizz.dev/environment",
  environmentNamespace: "fizz.dev/environment-namespace",
  function: "fizz.dev/function",
  functionNamespace: "fizz.dev/function-namespace",
  functionRv: "fizz.dev/function-rv",
  pool: "fizz.dev/pool",
  poolState: "fizz.dev/pool-state",
  /** Hash of the pool's runtime settings: pods of an older runtime are not handed out. */
  runtime: "fizz.dev/runtime",
} as const;
export const MANAGED_BY = "fizz-executor";
/** Exact namespace/name keys: label values may be hashed, annotations are not. */
export const ANNOTATION = {
  environment: "fizz.dev/environment-key",
  function: "fizz.dev/function-key",
  /** Set once the function is loaded: only such pods are adopted (a crash mid-load leaves half-loaded ones). */
  loaded: "fizz.dev/loaded",
  /** When the pod was taken for its function (ms since the epoch): its log before that is the pool's. */
  claimedAt: "fizz.dev/claimed-at",
} as const;

export const RUNTIME_PORT = 8888;
export const FETCHER_PORT = 8000;
const USERFUNC = "/userfunc";

export const hashOf = (s: string, len = 16) => createHash("sha256").update(s).digest("hex").slice(0, len);

/** A valid label value (≤ 63 chars of [A-Za-z0-9._-], alphanumeric at both ends); longer or odd names are hashed. */
export function labelValue(s: string): string {
  if (/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(s)) return s;
  const head = s.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 40).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return `${head ? `${head}-` : ""}${hashOf(s, 12)}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
}

export interface TemplateSettings {
  /** Built-in runtime name → image (FIZZ_RUNTIME_IMAGE_*). */
  runtimeImages: Record<string, string>;
  fetcherImage: string;
  /** FIZZ_STORAGE as the fetcher reaches it. */
  storage: string;
}

/** The container image for an Environment's runtime.image: a built-in name maps to its image. */
export function runtimeImageOf(image: string, images: Record<string, string>): string {
  const name = runtimeNameOf(image, images);
  return (name && images[name]) || image;
}

function resourcesOf(r: PoolSpec["resources"]): V1ResourceRequirements | undefined {
  const list = (l?: { cpu: string; memory: string }) => {
    const out: Record<string, string> = {};
    if (l?.cpu) out["cpu"] = l.cpu;
    if (l?.memory) out["memory"] = l.memory;
    return Object.keys(out).length ? out : undefined;
  };
  const requests = list(r?.requests);
  const limits = list(r?.limits);
  return requests || limits ? { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } : undefined;
}

export const environmentLabels = (envKey: string) => {
  const [ns, name] = splitKey(envKey);
  return { [LABEL.managedBy]: MANAGED_BY, [LABEL.environment]: labelValue(name), [LABEL.environmentNamespace]: labelValue(ns) };
};

/** Runtime container + fetcher sidecar sharing the `userfunc` emptyDir. */
export function runtimePodTemplate(spec: PoolSpec, s: TemplateSettings, labels: Record<string, string>, annotations: Record<string, string>): V1PodTemplateSpec {
  const mount = [{ name: "userfunc", mountPath: USERFUNC }];
  const probe = (port: number) => ({ httpGet: { path: "/healthz", port }, periodSeconds: 1, failureThreshold: 3 });
  const resources = resourcesOf(spec.resources);
  return {
    metadata: { labels, annotations },
    spec: {
      terminationGracePeriodSeconds: Math.ceil(spec.graceMs / 1000),
      volumes: [{ name: "userfunc", emptyDir: {} }],
      containers: [
        {
          name: "runtime",
          image: runtimeImageOf(spec.image, s.runtimeImages),
          env: [
            { name: "PORT", value: String(RUNTIME_PORT) },
            { name: "HOST", value: "0.0.0.0" },
            { name: "FIZZ_USERFUNC_DIR", value: USERFUNC },
            ...Object.entries(spec.env).map(([name, value]) => ({ name, value })),
          ],
          ports: [{ name: "http", containerPort: RUNTIME_PORT }],
          readinessProbe: probe(RUNTIME_PORT),
          volumeMounts: mount,
          ...(resources ? { resources } : {}),
        },
        {
          name: "fetcher",
          image: s.fetcherImage,
          env: [
            { name: "FIZZ_STORAGE", value: s.storage },
            { name: "FIZZ_FETCHER_PORT", value: String(FETCHER_PORT) },
            { name: "FIZZ_USERFUNC_DIR", value: USERFUNC },
          ],
          ports: [{ name: "fetcher", containerPort: FETCHER_PORT }],
          readinessProbe: probe(FETCHER_PORT),
          volumeMounts: mount,
        },
      ],
    },
  };
}

/** Identity of a pool's runtime: when it changes, warm pods are replaced and specialized ones retired. */
export function runtimeHashOf(spec: PoolSpec, s: TemplateSettings): string {
  const { size: _size, environment: _env, ...runtime } = spec;
  return hashOf(JSON.stringify({ ...runtime, env: Object.entries(runtime.env).sort(), image: runtimeImageOf(spec.image, s.runtimeImages), fetcher: s.fetcherImage }), 12);
}

export const poolLabelOf = (envKey: string) => hashOf(envKey);

export function poolDeploymentName(envKey: string): string {
  const name = splitKey(envKey)[1].toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 30).replace(/^-+|-+$/g, "");
  return `fizz-pool-${name ? `${name}-` : ""}${hashOf(envKey, 8)}`;
}

/** The Deployment that keeps `size` warm pods: its selector matches only warm pods, so a claimed pod is replaced. */
export function poolDeployment(spec: PoolSpec, s: TemplateSettings, namespace: string): V1Deployment {
  const env = environmentLabels(spec.environment);
  const pool = poolLabelOf(spec.environment);
  const annotations = { [ANNOTATION.environment]: spec.environment };
  const podLabels = { ...env, [LABEL.pool]: pool, [LABEL.poolState]: "warm", [LABEL.runtime]: runtimeHashOf(spec, s) };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: poolDeploymentName(spec.environment), namespace, labels: { ...env, [LABEL.pool]: pool }, annotations },
    spec: {
      replicas: spec.size,
      selector: { matchLabels: { [LABEL.managedBy]: MANAGED_BY, [LABEL.pool]: pool, [LABEL.poolState]: "warm" } },
      template: runtimePodTemplate(spec, s, podLabels, annotations),
    },
  };
}
