// The Kubernetes clients newdeploy uses, and watch-backed caches of the objects it waits on
// (client-node's ListWatch: list, watch with resume, relist on 410 Gone; restarted on errors).
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
  type V1Deployment,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import { FizzError, type Logger } from "@fizz/common";

/** RFC 7386 merge patches (the one patch type every API server and the test stand-in accept). */
export const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** True for an ApiException (or a Status body) with this HTTP code. */
export function isStatus(err: unknown, code: number): boolean {
  return typeof err === "object" && err !== null && (err as { code?: number }).code === code;
}

export interface KubeApis {
  apps: AppsV1Api;
  core: CoreV1Api;
  autoscaling: AutoscalingV2Api;
}

export const kubeApis = (kc: KubeConfig): KubeApis => ({
  apps: kc.makeApiClient(AppsV1Api),
  core: kc.makeApiClient(CoreV1Api),
  autoscaling: kc.makeApiClient(AutoscalingV2Api),
});

type Cache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

/** Deployments, pods and Services in one namespace, with a change signal for waiters. */
export class NamespaceCache {
  readonly deployments: Cache<V1Deployment>;
  readonly pods: Cache<V1Pod>;
  readonly services: Cache<V1Service>;
  private readonly listeners = new Set<() => void>();
  /** Rejects a pending waitFor() at stop(). */
  private readonly cancels = new Set<() => void>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(kc: KubeConfig, apis: KubeApis, namespace: string, labelSelector: string, private readonly log: Logger, private readonly retryMs = 1000) {
    const q = { namespace, labelSelector };
    this.deployments = makeInformer(kc, `/apis/apps/v1/namespaces/${namespace}/deployments`, () => apis.apps.listNamespacedDeployment(q), labelSelector);
    this.pods = makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () => apis.core.listNamespacedPod(q), labelSelector);
    this.services = makeInformer(kc, `/api/v1/namespaces/${namespace}/services`, () => apis.core.listNamespacedService(q), labelSelector);
    for (const [what, inf] of [["deployments", this.deployments], ["pods", this.pods], ["services", this.services]] as const) {
      for (const verb of ["add", "update", "delete"] as const) (inf as Cache<KubernetesObject>).on(verb, () => this.changed());
      inf.on("error", (err: unknown) => {
        if (this.stopped) return;
        this.log.warn({ err, what }, "kubernetes watch failed; restarting");
        const t = setTimeout(() => {
          this.retries.delete(t);
          if (!this.stopped) void inf.start().catch(() => {});
        }, this.retryMs);
        this.retries.add(t);
      });
    }
  }

  /** Lists everything, then keeps watching. */
  async start(): Promise<void> {
    await Promise.all([this.deployments.start(), this.pods.start(), this.services.start()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries) clearTimeout(t);
    for (const c of [...this.cancels]) c();
    await Promise.all([this.deployments.stop(), this.pods.stop(), this.services.stop()]);
  }

  /** Resolves once check() returns a value (re-checked on every change), or rejects after timeoutMs. */
  waitFor<T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    if (this.stopped) return Promise.reject(new FizzError("UNAVAILABLE", "executor is shutting down"));
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.cancels.delete(cancel);
      };
      const cancel = () => (done(), reject(new FizzError("UNAVAILABLE", "executor is shutting down")));
      const listener = () => {
        let v: T | undefined;
        try {
          v = check();
        } catch (err) {
          done();
          return reject(err as Error);
        }
        if (v !== undefined) (done(), resolve(v));
      };
      const timer = setTimeout(() => (done(), reject(onTimeout())), timeoutMs);
      this.listeners.add(listener);
      this.cancels.add(cancel);
    });
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
