// newdeploy on Kubernetes: one Deployment + Service + HPA per Function, reconciled from the
// Informer; a call answers with the Service's address once a pod of the function's current
// version is Ready (its fetcher specialized it at start); idle minScale-0 functions scale to zero.
import type { KubeConfig, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { DEFAULT_NAMESPACE, FizzError, type Logger } from "@fizz/common";
import { DEFAULTS, effectiveSpec, keyOf, nsOf, type Informer, type InformerEvent } from "@fizz/clients";
import { create } from "@bufbuild/protobuf";
import { InstanceSchema, Kind, type Function as FnResource, type Instance, type ObjectRef } from "@fizz/proto";
import { getFunction, resolveParts } from "../poolmgr/lookup.js";
import type { ServiceResult } from "../poolmgr/poolmgr.js";
import { isReady } from "../backend/kube/pod-cache.js";
import { describeState } from "./diagnose.js";
import { kubeApis, NamespaceCache, type KubeApis } from "./kube.js";
import { ANNOTATION, LABEL, labelValue, RUNTIME_PORT } from "../backend/kube/pod-template.js";
import { EXECUTOR, EXECUTOR_LABEL, nameOf, SELECTOR } from "./labels.js";
import { functionObjects, scaleOf, SERVICE_PORT, type NewDeploySettings } from "./objects.js";
import { FunctionObjectsWriter } from "./writer.js";

export interface NewDeployOptions extends NewDeploySettings {
  /** How often idle scale-to-zero functions are looked for. */
  reapIntervalMs: number;
}

export const isNewDeploy = (fn: FnResource | undefined) => !!fn && effectiveSpec(fn).executorType === EXECUTOR;

export class NewDeployManager {
  private readonly apis: KubeApis;
  private readonly cache: NamespaceCache;
  private readonly writer: FunctionObjectsWriter;
  /** Last call or router tap per function key: scale-to-zero counts idleness from it. */
  private readonly lastUsed = new Map<string, number>();
  /** Object name → function key, for taps (which carry addresses) and garbage collection. */
  private readonly owners = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<ServiceResult>>();
  private reaper?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly informer: Informer,
    kc: KubeConfig,
    private readonly opts: NewDeployOptions,
    private readonly log: Logger,
  ) {
    this.apis = kubeApis(kc);
    this.cache = new NamespaceCache(kc, this.apis, opts.namespace, SELECTOR, log);
    this.writer = new FunctionObjectsWriter(this.apis, opts.namespace, log);
  }

  /**
   * Call once the Informer has synced: adopts what a previous run created (same name and spec:
   * no write), updates what changed while the executor was down and deletes what is orphaned.
   */
  async start(): Promise<void> {
    await this.cache.start();
    this.informer.on("event", (e) => this.onEvent(e));
    const wanted = new Set<string>();
    for (const r of this.informer.list(Kind.FUNCTION)) {
      if (r.kind.case !== "function" || !isNewDeploy(r.kind.value)) continue;
      const fn = r.kind.value;
      wanted.add(nameOf(nsOf(fn.metadata), fn.metadata?.name ?? ""));
      // Adopted pods count as just used: idleness is counted from this start.
      this.lastUsed.set(keyOfFn(fn), Date.now());
      await this.reconcile(fn).catch((err: unknown) => this.log.warn({ err, function: keyOfFn(fn) }, "newdeploy function not deployable yet"));
    }
    for (const d of this.cache.deployments.list()) {
      const name = d.metadata?.name ?? "";
      // The selector already says so; checked again because deleting poolmgr's pools would hurt.
      if (d.metadata?.labels?.[EXECUTOR_LABEL] === EXECUTOR && !wanted.has(name)) await this.writer.remove(name).catch((err: unknown) => this.log.warn({ err, name }, "could not delete orphaned function objects"));
    }
    this.reaper = setInterval(() => void this.reap(), this.opts.reapIntervalMs).unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    // The functions' pods keep serving: they belong to the cluster, not to this process.
    await this.cache.stop();
  }

  async getServiceForFunction(ref: ObjectRef | undefined): Promise<ServiceResult> {
    if (this.closed) throw new FizzError("UNAVAILABLE", "executor is shutting down");
    const fn = getFunction(this.informer, ref);
    const key = keyOfFn(fn);
    const rv = fn.metadata?.resourceVersion ?? "";
    this.lastUsed.set(key, Date.now());
    const warm = this.ready(fn);
    if (warm) return { address: warm, instanceId: nameOf(nsOf(fn.metadata), fn.metadata?.name ?? ""), functionResourceVersion: rv, cold: false, maxInFlight: this.maxInFlight(fn) };
    const flightKey = `${key}@${rv}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      flight = this.coldStart(fn).finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, flight);
    }
    return flight;
  }

  /** Routers report the addresses they used; idleness counts from the last report. */
  tap(addresses: readonly string[]): void {
    const now = Date.now();
    for (const a of addresses) {
      for (const s of this.cache.services.list()) {
        const key = this.owners.get(s.metadata?.name ?? "");
        if (key && s.spec?.clusterIP && `${s.spec.clusterIP}:${SERVICE_PORT}` === a) this.lastUsed.set(key, now);
      }
    }
  }

  private async coldStart(fn: FnResource): Promise<ServiceResult> {
    const fname = fn.metadata?.name ?? "";
    const rv = fn.metadata?.resourceVersion ?? "";
    const parts = resolveParts(this.informer, fn);
    const objs = functionObjects(parts, this.opts);
    await this.reconcile(fn);
    // Scaled to zero (or created with minScale 0): one replica while it is in use.
    const dep = await this.writer.scaleUpFromZero(objs.name);
    const timeoutMs = effectiveSpec(fn).specializationTimeoutMs;
    const address = await this.cache.waitFor(
      () => this.ready(fn),
      timeoutMs,
      () => {
        const state = describeState(labelValue(rv), this.cache.deployments.get(objs.name, this.opts.namespace) ?? dep, this.podsOf(fn), this.cache.services.get(objs.name, this.opts.namespace));
        return new FizzError("DEADLINE_EXCEEDED", `function "${fname}": no pod of version ${rv} became ready within ${timeoutMs / 1000}s (specializationTimeout): ${state}`, "SPECIALIZATION_TIMEOUT");
      },
    );
    // Idleness counts from the hand-out, not from the call: a slow start is not idle time.
    this.lastUsed.set(keyOfFn(fn), Date.now());
    return { address, instanceId: objs.name, functionResourceVersion: rv, cold: true, maxInFlight: this.maxInFlight(fn) };
  }

  /** The Service balances over up to maxScale pods: routers may fill them all, not just one. */
  private maxInFlight(fn: FnResource): number {
    return effectiveSpec(fn).requestsPerPod * scaleOf(resolveParts(this.informer, fn)).max;
  }

  /** The Service address when a Ready pod of the function's current version exists. */
  private ready(fn: FnResource): string | undefined {
    const name = nameOf(nsOf(fn.metadata), fn.metadata?.name ?? "");
    const svc = this.cache.services.get(name, this.opts.namespace);
    const ip = svc?.spec?.clusterIP;
    if (!ip || ip === "None") return undefined;
    const rv = labelValue(fn.metadata?.resourceVersion ?? "");
    return this.podsOf(fn).some((p) => p.metadata?.labels?.[LABEL.functionRv] === rv && isReady(p)) ? `${ip}:${SERVICE_PORT}` : undefined;
  }

  private podsOf(fn: FnResource): V1Pod[] {
    const fnLabel = labelValue(fn.metadata?.name ?? "");
    const nsLabel = labelValue(nsOf(fn.metadata));
    return this.cache.pods.list(this.opts.namespace).filter((p) => {
      const l = p.metadata?.labels ?? {};
      return l[EXECUTOR_LABEL] === EXECUTOR && l[LABEL.function] === fnLabel && l[LABEL.functionNamespace] === nsLabel;
    });
  }

  /** Creates or updates the function's objects; serialized per function by the writer. */
  private async reconcile(fn: FnResource): Promise<void> {
    this.owners.set(nameOf(nsOf(fn.metadata), fn.metadata?.name ?? ""), keyOfFn(fn));
    await this.writer.apply(functionObjects(resolveParts(this.informer, fn), this.opts));
  }

  private onEvent(e: InformerEvent): void {
    if (this.closed) return;
    const r = e.resource;
    if (r.kind.case === "function") {
      const fn = r.kind.value;
      const name = nameOf(nsOf(fn.metadata), fn.metadata?.name ?? "");
      if (e.type === "deleted" || !isNewDeploy(fn)) {
        // Deleted, or switched to poolmgr: its objects go (if it ever had any).
        if (!this.owners.has(name) && !this.cache.deployments.get(name, this.opts.namespace)) return;
        this.owners.delete(name);
        this.lastUsed.delete(keyOfFn(fn));
        void this.writer.remove(name).catch((err: unknown) => this.log.warn({ err, name }, "could not delete function objects"));
        return;
      }
      this.reconcileLogged(fn);
    } else if (r.kind.case === "environment" && e.type !== "deleted") {
      // A new image or runtime env is a new pod template for every function on it.
      const env = r.kind.value;
      for (const f of this.informer.list(Kind.FUNCTION)) {
        const fn = f.kind.case === "function" ? f.kind.value : undefined;
        const ref = fn?.spec?.environment;
        if (fn && isNewDeploy(fn) && ref?.name === env.metadata?.name && (ref?.namespace || nsOf(fn.metadata)) === nsOf(env.metadata)) this.reconcileLogged(fn);
      }
    }
  }

  private reconcileLogged(fn: FnResource): void {
    this.reconcile(fn).catch((err: unknown) => {
      // Not ready to deploy (package not built, environment missing): the next call says why.
      if (err instanceof FizzError && err.code === "FAILED_PRECONDITION") this.log.debug({ function: keyOfFn(fn), err: err.message }, "newdeploy function not deployable yet");
      else this.log.warn({ err, function: keyOfFn(fn) }, "could not reconcile newdeploy function objects");
    });
  }

  /** minScale 0 functions idle for idletimeout go to zero replicas. */
  private async reap(): Promise<void> {
    const now = Date.now();
    for (const d of this.cache.deployments.list(this.opts.namespace)) {
      const name = d.metadata?.name ?? "";
      const key = this.owners.get(name);
      const fn = key ? this.fnByKey(key) : undefined;
      if (!fn || !isNewDeploy(fn) || (d.spec?.replicas ?? 0) === 0) continue;
      if ((fn.spec?.invokeStrategy?.executionStrategy?.minScale ?? 0) > 0) continue;
      // idletimeout 0 (unset in many specs) means the default, as for poolmgr.
      const idleMs = (fn.spec?.idletimeout || DEFAULTS.idletimeout) * 1000;
      if (now - (this.lastUsed.get(key!) ?? 0) < idleMs || [...this.inflight.keys()].some((k) => k.startsWith(`${key}@`))) continue;
      this.log.info({ function: key, deployment: name }, "scaling idle function to zero");
      await this.writer.scaleTo(name, 0).catch((err: unknown) => this.log.warn({ err, name }, "could not scale to zero"));
    }
  }

  private fnByKey(key: string): FnResource | undefined {
    const i = key.indexOf("/");
    const r = this.informer.get(Kind.FUNCTION, i < 0 ? DEFAULT_NAMESPACE : key.slice(0, i), key.slice(i + 1));
    return r?.kind.case === "function" ? r.kind.value : undefined;
  }

  /** Every newdeploy pod as an instance (ListInstances): specializing until Ready (its fetcher loads the function at start). */
  list(): Instance[] {
    return this.cache.pods
      .list(this.opts.namespace)
      .filter((p) => p.metadata?.labels?.[EXECUTOR_LABEL] === EXECUTOR)
      .map((p) =>
        create(InstanceSchema, {
          id: p.metadata?.name ?? "",
          environment: p.metadata?.annotations?.[ANNOTATION.environment] ?? "",
          function: p.metadata?.annotations?.[ANNOTATION.function] ?? "",
          address: p.status?.podIP ? `${p.status.podIP}:${RUNTIME_PORT}` : "",
          state: p.metadata?.deletionTimestamp ? "stopping" : isReady(p) ? "specialized" : "specializing",
        }),
      );
  }

  /** The function's Deployment as last seen (tests and diagnostics). */
  deploymentOf(namespace: string, name: string): V1Deployment | undefined {
    return this.cache.deployments.get(nameOf(namespace, name), this.opts.namespace);
  }
}

const keyOfFn = (fn: FnResource) => keyOf(fn.metadata?.namespace, fn.metadata?.name ?? "");
