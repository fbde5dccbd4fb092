// Writes one function's Deployment, Service and HPA to the API server: create when missing,
// replace when the spec hash differs (keeping what the cluster owns: replicas, clusterIP), nothing
// when it matches (adoption after a restart). Writes to one function are serialized.
import type { V1Deployment, V1Service, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import type { Logger } from "@fizz/common";
import { isStatus, MERGE_PATCH, type KubeApis } from "./kube.js";
import { SPEC_HASH, type FunctionObjects } from "./objects.js";

type Obj = V1Deployment | V1Service | V2HorizontalPodAutoscaler;

interface Kind<T extends Obj> {
  what: string;
  read(name: string): Promise<T>;
  create(body: T): Promise<T>;
  replace(name: string, body: T): Promise<T>;
  remove(name: string): Promise<unknown>;
}

const CONFLICT_RETRIES = 3;

export class FunctionObjectsWriter {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly deployments: Kind<V1Deployment>;
  private readonly services: Kind<V1Service>;
  private readonly hpas: Kind<V2HorizontalPodAutoscaler>;

  constructor(
    private readonly apis: KubeApis,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {
    const { apps, core, autoscaling } = apis;
    this.deployments = {
      what: "Deployment",
      read: (name) => apps.readNamespacedDeployment({ name, namespace }),
      create: (body) => apps.createNamespacedDeployment({ namespace, body }),
      replace: (name, body) => apps.replaceNamespacedDeployment({ name, namespace, body }),
      remove: (name) => apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: "Background" }),
    };
    this.services = {
      what: "Service",
      read: (name) => core.readNamespacedService({ name, namespace }),
      create: (body) => core.createNamespacedService({ namespace, body }),
      replace: (name, body) => core.replaceNamespacedService({ name, namespace, body }),
      remove: (name) => core.deleteNamespacedService({ name, namespace }),
    };
    this.hpas = {
      what: "HorizontalPodAutoscaler",
      read: (name) => autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace }),
      create: (body) => autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace, body }),
      replace: (name, body) => autoscaling.replaceNamespacedHorizontalPodAutoscaler({ name, namespace, body }),
      remove: (name) => autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name, namespace }),
    };
  }

  /** Makes the three objects match; resolves when written. */
  apply(o: FunctionObjects): Promise<void> {
    return this.serial(o.name, async () => {
      await this.upsert(this.deployments, o.deployment, (cur, want) => {
        // The HPA and scale-to-zero own replicas; a raised minScale still lifts them.
        want.spec!.replicas = Math.max(cur.spec?.replicas ?? 0, o.scale.min);
      });
      await this.upsert(this.services, o.service, (cur, want) => {
        // Immutable once assigned.
        if (cur.spec?.clusterIP) want.spec = { ...want.spec, clusterIP: cur.spec.clusterIP };
      });
      await this.upsert(this.hpas, o.hpa, () => {});
    });
  }

  /** Deletes the function's objects (any that exist). */
  remove(name: string): Promise<void> {
    return this.serial(name, async () => {
      for (const k of [this.hpas, this.services, this.deployments] as Kind<Obj>[]) {
        await k.remove(name).catch((err: unknown) => {
          if (!isStatus(err, 404)) throw err;
        });
      }
      this.log.info({ name, namespace: this.namespace }, "deleted function Deployment, Service and HPA");
    });
  }

  /** Sets replicas to 1 when it is 0; returns the Deployment as it is now. */
  scaleUpFromZero(name: string): Promise<V1Deployment> {
    return this.serial(name, async () => {
      const d = await this.deployments.read(name);
      if ((d.spec?.replicas ?? 0) > 0) return d;
      this.log.info({ name }, "scaling function from zero to one replica");
      return this.apis.apps.patchNamespacedDeployment({ name, namespace: this.namespace, body: { spec: { replicas: 1 } } }, MERGE_PATCH);
    });
  }

  scaleTo(name: string, replicas: number): Promise<V1Deployment> {
    return this.serial(name, () => this.apis.apps.patchNamespacedDeployment({ name, namespace: this.namespace, body: { spec: { replicas } } }, MERGE_PATCH));
  }

  private async upsert<T extends Obj>(k: Kind<T>, want: T, keep: (cur: T, want: T) => void): Promise<void> {
    const name = want.metadata!.name!;
    for (let attempt = 0; ; attempt++) {
      const cur = await k.read(name).catch((err: unknown) => {
        if (isStatus(err, 404)) return undefined;
        throw err;
      });
      try {
        if (!cur) {
          await k.create(structuredClone(want));
          this.log.info({ name, kind: k.what }, "created");
        } else if (cur.metadata?.annotations?.[SPEC_HASH] !== want.metadata?.annotations?.[SPEC_HASH] || (k === (this.deployments as Kind<Obj>) && needsReplicas(cur as V1Deployment, want as V1Deployment))) {
          const body = structuredClone(want);
          keep(cur, body);
          body.metadata = { ...body.metadata, resourceVersion: cur.metadata?.resourceVersion };
          await k.replace(name, { ...body, status: cur.status } as T);
          this.log.info({ name, kind: k.what }, "updated");
        }
        return;
      } catch (err) {
        // Someone else (the HPA, the Deployment controller, another write) got there first: re-read.
        if (isStatus(err, 409) && attempt < CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  private serial<T>(name: string, f: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(name) ?? Promise.resolve()).catch(() => {}).then(f);
    this.chains.set(name, next);
    void next.catch(() => {}).finally(() => this.chains.get(name) === next && this.chains.delete(name));
    return next;
  }
}

/** A raised minScale needs a write even when the template is unchanged. */
const needsReplicas = (cur: V1Deployment, want: V1Deployment) => (cur.spec?.replicas ?? 0) < (want.spec?.replicas ?? 0);
