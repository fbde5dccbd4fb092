// Renders a kustomization with kubectl's built-in kustomize. kubectl is required: a machine
// without it fails here with a message saying so, rather than skipping the check.
import { spawnSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export const KUBECTL = process.env["KUBECTL"] || "kubectl";

/** The objects `kubectl kustomize dir` renders; throws with kubectl's own message on failure. */
export function kustomize(dir: string, kubectl = KUBECTL): K8sObject[] {
  const r = spawnSync(kubectl, ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error)
    throw new Error(`cannot run '${kubectl} kustomize' (${r.error.message}): install kubectl ≥ 1.27 (it has kustomize built in) or set KUBECTL`);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr.trim()}`);
  return parseYamlDocs(r.stdout, `kubectl kustomize ${dir}`);
}

/** Every document of a YAML stream; a syntax error names where it came from. */
export function parseYamlDocs(text: string, where: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((d) => {
    if (d.errors.length) throw new Error(`${where}: ${d.errors[0]!.message}`);
    const v = d.toJS() as K8sObject | null;
    return v ? [v] : [];
  });
}

/** `kind/namespace/name`, the key objects are looked up by. */
export const objectKey = (o: Pick<K8sObject, "kind" | "metadata">) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
