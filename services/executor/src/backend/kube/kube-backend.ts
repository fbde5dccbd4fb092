// Pools of runtime pods on Kubernetes: one Deployment of generic pods per Environment; a pod is
// taken by relabeling it out of the Deployment's selector (guarded by its resourceVersion, so two
// executors never take the same pod), which makes the Deployment start a replacement. The fetcher
// sidecar loads the function; stopping deletes the pod. Pods outlive the executor and are adopted.
import { ApiException, AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { FizzError, type Logger } from "@fizz/common";
import type { AdoptedInstance, FunctionVersion, LoadRequest, PoolBackend, PoolExit, PoolSpec, TakenInstance, WarmInstance } from "../pool-backend.js";
import { FetcherClient } from "./fetcher-client.js";
import { kubeConfig } from "@fizz/kube";
import { isReady, PodCache, type PodEvent } from "./pod-cache.js";
import { ANNOTATION, FETCHER_PORT, labelValue, LABEL, MANAGED_BY, poolDeployment, poolDeploymentName, poolLabelOf, RUNTIME_PORT, runtimeHashOf, splitKey, type TemplateSettings } from "./pod-template.js";
import { PoolReconciler } from "./pool-reconciler.js";

export interface KubeBackendOptions extends Omit<TemplateSettings, "storage"> {
  /** The functions namespace. */
  namespace: string;
  /** API server URL replacing the kubeconfig's. */
  server?: string;
  /** FIZZ_STORAGE as pods reach it. */
  storage: string;
  /** How long take() waits for a ready pod. */
  startTimeoutMs: number;
}

interface Pool {
  spec: PoolSpec;
  label: string;
  runtimeHash: string;
  gen: number;
}

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const status = (err: unknown) => (err instanceof ApiException ? err.code : undefined);
const restarts = (p: V1Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
const addressOf = (p: V1Pod, port: number) => `${p.status?.podIP}:${port}`;

export class KubeBackend implements PoolBackend {
  private readonly core: CoreV1Api;
  private readonly pods: PodCache;
  private readonly reconciler: PoolReconciler;
  private readonly fetcher = new FetcherClient();
  private readonly settings: TemplateSettings;
  private readonly pools = new Map<string, Pool>();
  /** Pods taken by this executor, with their restart count when taken (a restart loses the function). */
  private readonly taken = new Map<string, { inst: TakenInstance; restarts: number }>();
  /** Pods being claimed right now by this executor. */
  private readonly claiming = new Set<string>();
  private readonly stopping = new Set<string>();
  private readonly listeners: Array<(e: PoolExit) => void> = [];
  private closed = false;

  constructor(private readonly opts: KubeBackendOptions, private readonly log: Logger) {
    const kc = kubeConfig(opts.server);
    this.core = kc.makeApiClient(CoreV1Api);
    this.pods = new PodCache(kc, opts.namespace, log, (t, p) => this.podChanged(t, p));
    this.reconciler = new PoolReconciler(kc.makeApiClient(AppsV1Api), opts.namespace, log);
    this.settings = { runtimeImages: opts.runtimeImages, fetcherImage: opts.fetcherImage, storage: opts.storage };
  }

  async recover(isCurrent: (fnKey: string, rv: string) => boolean, environments: ReadonlySet<string>): Promise<AdoptedInstance[]> {
    try {
      await this.pods.start();
    } catch (err) {
      throw new FizzError("UNAVAILABLE", `cannot list pods in namespace ${this.opts.namespace} of the Kubernetes API${this.opts.server ? ` at ${this.opts.server}` : ""}: ${(err as Error).message}`);
    }
    const adopted: AdoptedInstance[] = [];
    for (const pod of [...this.pods.all()]) {
      const labels = pod.metadata?.labels ?? {};
      if (labels[LABEL.poolState] !== "specialized") continue;
      const fnKey = pod.metadata?.annotations?.[ANNOTATION.function] ?? "";
      const envKey = pod.metadata?.annotations?.[ANNOTATION.environment] ?? "";
      const rv = labels[LABEL.functionRv] ?? "";
      const loaded = pod.metadata?.annotations?.[ANNOTATION.loaded] === "true";
      if (loaded && isReady(pod) && environments.has(envKey) && isCurrent(fnKey, rv)) {
        const inst: AdoptedInstance = { ...this.instanceOf(pod, envKey, 0), fnKey, fnRv: rv };
        this.taken.set(inst.id, { inst, restarts: restarts(pod) });
        adopted.push(inst);
      } else {
        this.log.info({ pod: pod.metadata?.name, function: fnKey }, "deleting a pod a previous executor left");
        void this.deletePod(pod.metadata!.name!, 0);
      }
    }
    await this.reconciler.removeAllBut(new Set([...environments].map(poolLabelOf)));
    return adopted;
  }

  upsertPool(spec: PoolSpec): boolean {
    const old = this.pools.get(spec.environment);
    const runtimeHash = runtimeHashOf(spec, this.settings);
    const changed = !!old && old.runtimeHash !== runtimeHash;
    this.pools.set(spec.environment, { spec, label: poolLabelOf(spec.environment), runtimeHash, gen: (old?.gen ?? 0) + (changed ? 1 : 0) });
    this.reconciler.apply(spec.environment, poolDeployment(spec, this.settings, this.opts.namespace), () => this.dropStaleWarm(spec.environment));
    return changed;
  }

  deletePool(envKey: string): void {
    const pool = this.pools.get(envKey);
    this.pools.delete(envKey);
    this.reconciler.remove(envKey, poolDeploymentName(envKey), () => {
      for (const pod of this.pods.all()) if (pod.metadata?.labels?.[LABEL.pool] === pool?.label && pod.metadata?.labels?.[LABEL.poolState] === "warm") void this.deletePod(pod.metadata!.name!, 0);
    });
  }

  async take(envKey: string, fn: FunctionVersion): Promise<TakenInstance> {
    const deadline = Date.now() + this.opts.startTimeoutMs;
    for (;;) {
      const pool = this.pools.get(envKey);
      if (!pool) throw new FizzError("FAILED_PRECONDITION", `environment ${envKey} has no pool`);
      for (const pod of this.candidates(pool)) {
        const inst = await this.claim(pod, pool, envKey, fn);
        if (inst) return inst;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const why = this.reconciler.failure(envKey);
        throw new FizzError(
          "DEADLINE_EXCEEDED",
          `no ready pod in the pool of environment ${envKey} within ${this.opts.startTimeoutMs} ms (namespace ${this.opts.namespace})` +
            (why ? `; writing its Deployment failed: ${why}` : ""),
        );
      }
      await this.pods.changed(left);
    }
  }

  giveBack(inst: TakenInstance): void {
    // Relabeling it back would leave the pool one pod too many: the replacement already started.
    void this.stop(inst.id, 0);
  }

  async load(inst: TakenInstance, req: LoadRequest): Promise<void> {
    const pod = this.pods.get(inst.id);
    if (!pod?.status?.podIP) throw new FizzError("UNAVAILABLE", `pod ${inst.id} is gone`);
    await this.fetcher.specialize(addressOf(pod, FETCHER_PORT), req);
    // Not awaited: the caller has its instance now; a pod left unmarked only costs a cold start after a restart.
    const body = { metadata: { annotations: { [ANNOTATION.loaded]: "true" } } };
    this.core.patchNamespacedPod({ name: inst.id, namespace: this.opts.namespace, body }, MERGE_PATCH).catch((err: Error) => this.log.warn({ pod: inst.id, err: err.message }, "could not mark pod loaded"));
  }

  async stop(id: string, graceMs: number): Promise<void> {
    if (!this.pods.get(id)) return;
    this.stopping.add(id);
    await this.deletePod(id, graceMs);
    // Resolves when the watch sees it gone (or after the grace period and a margin).
    const deadline = Date.now() + graceMs + 10_000;
    while (this.pods.get(id) && Date.now() < deadline) await this.pods.changed(deadline - Date.now());
  }

  onExit(listener: (e: PoolExit) => void): void {
    this.listeners.push(listener);
  }

  isAlive(id: string): boolean {
    const pod = this.pods.get(id);
    return !!pod && isReady(pod) && pod.status?.phase !== "Failed";
  }

  generation(envKey: string): number {
    return this.pools.get(envKey)?.gen ?? -1;
  }

  warm(): WarmInstance[] {
    const out: WarmInstance[] = [];
    for (const [envKey, pool] of this.pools) for (const pod of this.candidates(pool)) out.push({ id: pod.metadata!.name!, address: addressOf(pod, RUNTIME_PORT), envKey });
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Pods outlive the executor: the next one adopts them.
    this.pods.stop();
    await this.reconciler.idle();
    await this.fetcher.close();
  }

  /** Ready warm pods of the pool's current runtime (a pod just taken may still look warm in the cache). */
  private *candidates(pool: Pool): Generator<V1Pod> {
    for (const pod of this.pods.all()) {
      const l = pod.metadata?.labels ?? {};
      if (l[LABEL.pool] === pool.label && l[LABEL.poolState] === "warm" && l[LABEL.runtime] === pool.runtimeHash && isReady(pod) && !this.claiming.has(pod.metadata!.name!) && !this.taken.has(pod.metadata!.name!))
        yield pod;
    }
  }

  /** Relabels a pod out of the pool; undefined when someone else changed (or took) it first. */
  private async claim(pod: V1Pod, pool: Pool, envKey: string, fn: FunctionVersion): Promise<TakenInstance | undefined> {
    const name = pod.metadata!.name!;
    const [fnNs, fnName] = splitKey(fn.key);
    this.claiming.add(name);
    try {
      // The function labels let a restarted executor adopt the pod, and kubectl find it.
      const patch = {
        metadata: {
          resourceVersion: pod.metadata?.resourceVersion,
          labels: { [LABEL.poolState]: "specialized", [LABEL.function]: labelValue(fnName), [LABEL.functionNamespace]: labelValue(fnNs), [LABEL.functionRv]: labelValue(fn.rv) },
          annotations: { [ANNOTATION.environment]: envKey, [ANNOTATION.function]: fn.key, [ANNOTATION.claimedAt]: String(Date.now()) },
        },
      };
      const claimed = await this.core.patchNamespacedPod({ name, namespace: this.opts.namespace, body: patch }, MERGE_PATCH);
      const inst = this.instanceOf(claimed, envKey, pool.gen);
      this.taken.set(name, { inst, restarts: restarts(claimed) });
      return inst;
    } catch (err) {
      if (status(err) === 409 || status(err) === 404) return undefined;
      throw new FizzError("UNAVAILABLE", `could not take pod ${name}: ${(err as Error).message}`);
    } finally {
      this.claiming.delete(name);
    }
  }

  private instanceOf(pod: V1Pod, envKey: string, gen: number): TakenInstance {
    const graceMs = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    return { id: pod.metadata!.name!, address: addressOf(pod, RUNTIME_PORT), envKey, poolGen: gen, graceMs };
  }

  private async deletePod(name: string, graceMs: number): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ name, namespace: this.opts.namespace, gracePeriodSeconds: Math.ceil(graceMs / 1000) });
    } catch (err) {
      if (status(err) !== 404) this.log.warn({ pod: name, err: (err as Error).message }, "could not delete pod");
    }
  }

  /** After a runtime change: warm pods of the old runtime go (the Deployment recreates them). */
  private dropStaleWarm(envKey: string): void {
    const pool = this.pools.get(envKey);
    if (!pool) return;
    for (const pod of this.pods.all()) {
      const l = pod.metadata?.labels ?? {};
      if (l[LABEL.pool] === pool.label && l[LABEL.poolState] === "warm" && l[LABEL.runtime] !== pool.runtimeHash && !pod.metadata?.deletionTimestamp) void this.deletePod(pod.metadata!.name!, 0);
    }
  }

  private podChanged(type: PodEvent, pod: V1Pod): void {
    const name = pod.metadata?.name ?? "";
    const t = this.taken.get(name);
    if (!t) return;
    const failed = pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded";
    const restarted = restarts(pod) > t.restarts;
    if (type !== "DELETED" && !failed && !restarted && !pod.metadata?.deletionTimestamp) return;
    this.taken.delete(name);
    const expected = this.stopping.delete(name);
    // A restarted container lost the function it had loaded: the pod is of no further use.
    if (type !== "DELETED" && !pod.metadata?.deletionTimestamp) void this.deletePod(name, 0);
    for (const l of this.listeners) l({ id: name, code: null, signal: failed ? "Failed" : restarted ? "restarted" : null, expected });
  }
}
