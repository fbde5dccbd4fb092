// What newdeploy wants to exist for one Function: a Deployment of specialized-at-start runtime
// pods, a Service in front of them and an autoscaling/v2 HPA. Pure functions of the resources.
import { toJson } from "@bufbuild/protobuf";
import type { V1Deployment, V1Service, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { DEFAULTS, keyOf, nsOf } from "@fizz/clients";
import { PackageSchema, type Package } from "@fizz/proto";
import type { FunctionParts } from "../poolmgr/lookup.js";
import { ANNOTATION, hashOf, LABEL, labelValue, RUNTIME_PORT, runtimePodTemplate, type TemplateSettings } from "../backend/kube/pod-template.js";
import { nameOf, objectLabels, selectorOf } from "./labels.js";

export const SERVICE_PORT = 80;
/** Hash of what the executor last wrote, so adoption and updates only write on a change. */
export const SPEC_HASH = "fizz.dev/spec-hash";
const DEFAULT_TARGET_CPU = 80;

export interface NewDeploySettings extends TemplateSettings {
  /** Namespace of every function object (FIZZ_FUNCTIONS_NAMESPACE). */
  namespace: string;
}

export interface Scale {
  min: number;
  max: number;
  targetCpu: number;
}

/** Fission's minScale/maxScale/targetCPU: minScale 0 means scale to zero when idle. */
export function scaleOf(parts: FunctionParts): Scale {
  const es = parts.fn.spec?.invokeStrategy?.executionStrategy;
  const min = Math.max(0, es?.minScale ?? 0);
  return { min, max: Math.max(es?.maxScale ?? 0, min, 1), targetCpu: es?.targetCpuPercent || DEFAULT_TARGET_CPU };
}

/** What the fetcher does at pod start (FIZZ_SPECIALIZE_ON_STARTUP). */
export function startupJson(parts: FunctionParts): string {
  const { fn, env, pkg } = parts;
  // The build log can be large and the fetcher does not need it.
  const slim: Package = { ...pkg, status: pkg.status ? { ...pkg.status, buildlog: "" } : undefined };
  const es = fn.spec?.invokeStrategy?.executionStrategy;
  return JSON.stringify({
    package: toJson(PackageSchema, slim),
    functionName: fn.spec?.package?.functionName ?? "",
    v1: env.spec?.version === 1,
    timeoutMs: (es?.specializationTimeout || DEFAULTS.specializationTimeout) * 1000,
  });
}

export interface FunctionObjects {
  name: string;
  deployment: V1Deployment;
  service: V1Service;
  hpa: V2HorizontalPodAutoscaler;
  scale: Scale;
}

export function functionObjects(parts: FunctionParts, s: NewDeploySettings): FunctionObjects {
  const { fn, env } = parts;
  const fnNs = nsOf(fn.metadata);
  const fnName = fn.metadata?.name ?? "";
  const name = nameOf(fnNs, fnName);
  const labels = objectLabels(fnNs, fnName, nsOf(env.metadata), env.metadata?.name ?? "");
  const selector = selectorOf(fnNs, fnName);
  const scale = scaleOf(parts);
  const tgp = env.spec?.terminationGracePeriod;
  const template = runtimePodTemplate(
    {
      environment: keyOf(env.metadata?.namespace, env.metadata?.name ?? ""),
      image: env.spec?.runtime?.image ?? "",
      env: { ...env.spec?.runtime?.env },
      graceMs: (tgp === undefined ? DEFAULTS.terminationGracePeriod : Number(tgp)) * 1000,
      size: scale.min,
      // The Function's own requests/limits win over its Environment's.
      resources: fn.spec?.resources?.requests || fn.spec?.resources?.limits ? fn.spec.resources : env.spec?.resources,
    },
    s,
    { ...labels, [LABEL.functionRv]: labelValue(fn.metadata?.resourceVersion ?? "") },
    { [ANNOTATION.function]: keyOf(fnNs, fnName), [ANNOTATION.environment]: keyOf(env.metadata?.namespace, env.metadata?.name ?? "") },
  );
  // Specialized at start: readiness of the fetcher is readiness of the function.
  template.spec!.containers.find((c) => c.name === "fetcher")!.env!.push({ name: "FIZZ_SPECIALIZE_ON_STARTUP", value: startupJson(parts) });
  const meta = (spec: unknown) => ({ name, namespace: s.namespace, labels, annotations: { [SPEC_HASH]: hashOf(JSON.stringify(spec)), [ANNOTATION.function]: keyOf(fnNs, fnName) } });
  // A new version must be Ready before an old pod goes: no gap in service during a rollout.
  const depSpec = { selector: { matchLabels: selector }, template, strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } };
  const deployment: V1Deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: meta(depSpec), spec: { ...depSpec, replicas: scale.min } };
  const svcSpec = { type: "ClusterIP", selector, ports: [{ name: "http", port: SERVICE_PORT, targetPort: RUNTIME_PORT, protocol: "TCP" }] };
  const service: V1Service = { apiVersion: "v1", kind: "Service", metadata: meta(svcSpec), spec: svcSpec };
  // An HPA cannot go below 1; scale to zero is the executor's (spec.replicas 0 also pauses the HPA).
  const hpaSpec = {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
    minReplicas: Math.max(scale.min, 1),
    maxReplicas: scale.max,
    metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: scale.targetCpu } } }],
  };
  const hpa: V2HorizontalPodAutoscaler = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: meta(hpaSpec), spec: hpaSpec };
  return { name, deployment, service, hpa, scale };
}
