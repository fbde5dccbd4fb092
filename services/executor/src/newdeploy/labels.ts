// newdeploy's names and labels, on top of the Kubernetes backend's shared ones (LABEL, labelValue).
import { hashOf, LABEL, labelValue, MANAGED_BY } from "../backend/kube/pod-template.js";

/** Marks newdeploy's objects apart from poolmgr's pool pods in the same namespace. */
export const EXECUTOR_LABEL = "fizz.dev/executor";
export const EXECUTOR = "newdeploy";

/**
 * A DNS-1035 object name (a Service name must be one) unique per function: a readable prefix and
 * a hash of namespace/name, ≤ 63 chars.
 */
export function nameOf(fnNamespace: string, fnName: string): string {
  const readable = `fn-${fnName}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 50).replace(/-+$/, "");
  return `${readable}-${hashOf(`${fnNamespace}/${fnName}`, 8)}`;
}

/** The labels that select a function's pods, whatever their version (Deployment/Service selector). */
export const selectorOf = (fnNamespace: string, fnName: string): Record<string, string> => ({
  [LABEL.managedBy]: MANAGED_BY,
  [EXECUTOR_LABEL]: EXECUTOR,
  [LABEL.function]: labelValue(fnName),
  [LABEL.functionNamespace]: labelValue(fnNamespace),
});

/** Every object's labels: the selector plus the environment. */
export const objectLabels = (fnNamespace: string, fnName: string, envNamespace: string, envName: string) => ({
  ...selectorOf(fnNamespace, fnName),
  [LABEL.environment]: labelValue(envName),
  [LABEL.environmentNamespace]: labelValue(envNamespace),
});

export const SELECTOR = `${LABEL.managedBy}=${MANAGED_BY},${EXECUTOR_LABEL}=${EXECUTOR}`;
