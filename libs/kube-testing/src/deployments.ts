// The Deployment controller a real cluster runs (Deployment → ReplicaSet → Pods, collapsed into
// one step): pods matching a Deployment's selector are its replicas; missing ones are created from
// the template, extras deleted, a pod relabeled out of the selector is released (ownerReference
// dropped) and replaced, a changed template rolls pods over, status counts are kept current, and
// pods whose owning Deployment is gone are garbage-collected.
import { createHash, randomBytes } from "node:crypto";
import { addressOf, type KubeObject, type ObjectStore } from "./objects.js";
import { labelsOf, selectorMatches, type LabelSelector } from "./selectors.js";

export const PODS = "core/v1/pods";
export const DEPLOYMENTS = "apps/v1/deployments";

interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
}

const meta = (o: KubeObject) => o.metadata as { name: string; namespace: string; uid: string; generation?: number; ownerReferences?: { uid: string; kind: string }[]; creationTimestamp?: string };

export const isReady = (pod: KubeObject) =>
  ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** One reconcile pass over every Deployment; synchronous, idempotent (a pass with nothing to do writes nothing). */
export function reconcileDeployments(store: ObjectStore): void {
  const deployments = store.list(DEPLOYMENTS, undefined);
  const uids = new Set(deployments.map((d) => meta(d).uid));
  const pods = store.list(PODS, undefined);
  // Garbage collection: pods owned by a Deployment that no longer exists.
  for (const p of pods) {
    const owner = meta(p).ownerReferences?.find((r) => r.kind === "Deployment");
    if (owner && !uids.has(owner.uid)) remove(store, p);
  }
  for (const d of deployments) reconcileOne(store, d, store.list(PODS, meta(d).namespace));
}

function reconcileOne(store: ObjectStore, d: KubeObject, pods: KubeObject[]): void {
  const { name, namespace, uid } = meta(d);
  const spec = (d.spec ?? {}) as DeploymentSpec;
  const replicas = spec.replicas ?? 1;
  const hash = templateHash(spec.template);
  const matching: KubeObject[] = [];
  for (const p of pods) {
    const owned = meta(p).ownerReferences?.some((r) => r.uid === uid);
    if (selectorMatches(spec.selector, labelsOf(p))) matching.push(p);
    // Released: relabeled out of the selector, the pod lives on without an owner.
    else if (owned) store.patch(addressOf(PODS, namespace, meta(p).name), { metadata: { ownerReferences: null } }, undefined);
  }
  const current = matching.filter((p) => labelsOf(p)["pod-template-hash"] === hash);
  const old = matching.filter((p) => labelsOf(p)["pod-template-hash"] !== hash);
  for (let i = current.length; i < replicas; i++) current.push(createPod(store, d, hash));
  // Extras go first when not ready, then newest first (as the ReplicaSet controller ranks them).
  const rank = (a: KubeObject, b: KubeObject) => Number(isReady(a)) - Number(isReady(b)) || String(meta(b).creationTimestamp).localeCompare(String(meta(a).creationTimestamp));
  for (const p of current.sort(rank).slice(0, Math.max(0, current.length - replicas))) remove(store, p);
  // Rolling update: old pods go as new ones become ready.
  const readyNew = Math.min(replicas, current.filter(isReady).length);
  for (const p of old.sort(rank).slice(0, Math.max(0, old.length - Math.max(0, replicas - readyNew)))) remove(store, p);

  const live = store.list(PODS, namespace).filter((p) => selectorMatches(spec.selector, labelsOf(p)));
  const ready = live.filter(isReady).length;
  const status = {
    observedGeneration: meta(d).generation ?? 1,
    replicas: live.length,
    updatedReplicas: live.filter((p) => labelsOf(p)["pod-template-hash"] === hash).length,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, replicas - ready),
  };
  if (JSON.stringify(status) !== JSON.stringify(d.status)) store.patch(addressOf(DEPLOYMENTS, namespace, name), { status }, "status");
}

function createPod(store: ObjectStore, d: KubeObject, hash: string): KubeObject {
  const { name, namespace, uid } = meta(d);
  const t = (d.spec as DeploymentSpec).template ?? {};
  const podName = `${name.slice(0, 40)}-${hash}-${randomBytes(3).toString("hex").slice(0, 5)}`;
  const body: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName,
      namespace,
      labels: { ...(t.metadata?.labels ?? {}), "pod-template-hash": hash },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(t.spec ?? {}),
  };
  return store.create(addressOf(PODS, namespace, podName), body, "v1", undefined);
}

function remove(store: ObjectStore, p: KubeObject): void {
  try {
    store.delete(addressOf(PODS, meta(p).namespace, meta(p).name));
  } catch {
    /* already gone */
  }
}

const templateHash = (t: unknown) => createHash("sha256").update(JSON.stringify(t ?? {})).digest("hex").slice(0, 10);
