// Why a function's pods are not serving, in one sentence per pod, read from what the kubelet and
// the Deployment controller report (image pull errors, crash loops, failing readiness).
import type { V1ContainerStatus, V1Deployment, V1Pod, V1Service } from "@kubernetes/client-node";
import { isReady } from "../backend/kube/pod-cache.js";
import { LABEL } from "../backend/kube/pod-template.js";

const MAX_PODS = 3;


function container(c: V1ContainerStatus): string {
  const s = c.state;
  const restarts = c.restartCount ? `, restarted ${c.restartCount} time${c.restartCount === 1 ? "" : "s"}` : "";
  const last = c.lastState?.terminated;
  const lastExit = last ? ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ""})` : "";
  if (s?.waiting) {
    const crash = s.waiting.reason === "CrashLoopBackOff" ? "crash looping: " : "";
    return `${c.name} ${crash}${s.waiting.reason ?? "waiting"}${s.waiting.message ? ` (${s.waiting.message})` : ""}${restarts}${lastExit}`;
  }
  if (s?.terminated) return `${c.name} terminated with exit code ${s.terminated.exitCode}${s.terminated.reason ? ` (${s.terminated.reason})` : ""}${restarts}`;
  if (s?.running) return `${c.name} running${c.ready ? "" : " but not ready"}${restarts}${c.restartCount ? lastExit : ""}`;
  return `${c.name} not started`;
}

function pod(p: V1Pod): string {
  const st = p.status;
  const containers = (st?.containerStatuses ?? []).map(container);
  const unscheduled = st?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  const why = containers.length ? containers.join("; ") : unscheduled ? `not scheduled: ${unscheduled.message ?? unscheduled.reason ?? ""}` : "no container started yet";
  return `pod ${p.metadata?.name ?? "?"} is ${st?.phase ?? "Pending"}${isReady(p) ? ", Ready" : ", not Ready"}: ${why}`;
}

/** What the function's objects are doing, for the error when no pod became ready in time. */
export function describeState(rvLabel: string, dep: V1Deployment | undefined, pods: V1Pod[], svc: V1Service | undefined): string {
  if (!dep) return "its Deployment does not exist";
  const parts: string[] = [];
  const current = pods.filter((p) => p.metadata?.labels?.[LABEL.functionRv] === rvLabel);
  if (!current.length) {
    const conds = (dep.status?.conditions ?? []).filter((c) => c.status !== "True" && c.message).map((c) => `${c.type}: ${c.message}`);
    parts.push(
      `no pod of this version exists (Deployment ${dep.metadata?.name}: ${dep.spec?.replicas ?? 0} replicas wanted, ${dep.status?.readyReplicas ?? 0} ready` +
        `${pods.length ? `, ${pods.length} of older versions` : ""})${conds.length ? `; ${conds.join("; ")}` : ""}`,
    );
  } else {
    parts.push(...current.slice(0, MAX_PODS).map(pod));
    if (current.length > MAX_PODS) parts.push(`and ${current.length - MAX_PODS} more pods`);
  }
  if (svc && !svc.spec?.clusterIP) parts.push(`Service ${svc.metadata?.name} has no cluster IP yet`);
  return parts.join("; ");
}
