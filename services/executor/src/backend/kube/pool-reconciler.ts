// Keeps each Environment's pool Deployment as wanted: created when missing, replaced when its
// replicas or template differ, deleted with the Environment. One change at a time per pool, the
// latest wish wins, and failures are retried (the API server may be briefly unreachable).
import { ApiException, type AppsV1Api, type V1Deployment } from "@kubernetes/client-node";
import type { Logger } from "@fizz/common";
import { LABEL, MANAGED_BY } from "./pod-template.js";

type Wish = { kind: "apply"; dep: V1Deployment; after: () => void } | { kind: "delete"; name: string; after: () => void };

const RETRY_MS = 1000;
const status = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

export class PoolReconciler {
  private readonly wishes = new Map<string, Wish>();
  private readonly running = new Map<string, Promise<void>>();
  /** The last failure per pool while it is not in place (for error messages). */
  private readonly failures = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly apps: AppsV1Api,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {}

  /** Makes the pool's Deployment `dep`; `after` runs once it is in place. */
  apply(envKey: string, dep: V1Deployment, after: () => void): void {
    this.wish(envKey, { kind: "apply", dep, after });
  }

  remove(envKey: string, name: string, after: () => void): void {
    this.wish(envKey, { kind: "delete", name, after });
  }

  /** Deletes every pool Deployment whose pool label is not in `keep` (Environments deleted while no executor ran). */
  async removeAllBut(keep: ReadonlySet<string>): Promise<void> {
    const list = await this.apps.listNamespacedDeployment({ namespace: this.namespace, labelSelector: `${LABEL.managedBy}=${MANAGED_BY}` });
    for (const d of list.items) {
      const l = d.metadata?.labels ?? {};
      const pool = l[LABEL.pool];
      if (l[LABEL.managedBy] !== MANAGED_BY || !pool || keep.has(pool)) continue;
      this.log.info({ deployment: d.metadata?.name }, "deleting the pool of a deleted environment");
      await this.delete(d.metadata!.name!);
    }
  }

  /** Why the pool's Deployment is not in place yet, if writing it failed. */
  failure(envKey: string): string | undefined {
    return this.failures.get(envKey);
  }

  /** Resolves when no change is in progress; no retries start after it. */
  async idle(): Promise<void> {
    this.closed = true;
    await Promise.all(this.running.values());
  }

  private wish(envKey: string, w: Wish): void {
    this.wishes.set(envKey, w);
    if (!this.running.has(envKey)) this.running.set(envKey, this.drain(envKey).finally(() => this.running.delete(envKey)));
  }

  private async drain(envKey: string): Promise<void> {
    for (let w = this.wishes.get(envKey); w && !this.closed; w = this.wishes.get(envKey)) {
      try {
        if (w.kind === "apply") await this.put(w.dep);
        else await this.delete(w.name);
        // A newer wish arrived meanwhile: it is applied next, and its `after` runs then.
        if (this.wishes.get(envKey) !== w) continue;
        this.wishes.delete(envKey);
        this.failures.delete(envKey);
        w.after();
      } catch (err) {
        this.failures.set(envKey, (err as Error).message);
        this.log.warn({ env: envKey, err: (err as Error).message, retryMs: RETRY_MS }, "could not update the pool deployment");
        await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      }
    }
  }

  private async put(dep: V1Deployment): Promise<void> {
    const name = dep.metadata!.name!;
    let current: V1Deployment;
    try {
      current = await this.apps.readNamespacedDeployment({ name, namespace: this.namespace });
    } catch (err) {
      if (status(err) !== 404) throw err;
      await this.apps.createNamespacedDeployment({ namespace: this.namespace, body: dep });
      return;
    }
    const same = current.spec?.replicas === dep.spec?.replicas && JSON.stringify(current.spec?.template) === JSON.stringify(dep.spec?.template);
    if (same) return;
    // With its resourceVersion: a concurrent writer (another executor) makes this a 409, retried.
    await this.apps.replaceNamespacedDeployment({ name, namespace: this.namespace, body: { ...dep, metadata: { ...dep.metadata, resourceVersion: current.metadata?.resourceVersion } } });
  }

  private async delete(name: string): Promise<void> {
    try {
      await this.apps.deleteNamespacedDeployment({ name, namespace: this.namespace, propagationPolicy: "Background" });
    } catch (err) {
      if (status(err) !== 404) throw err;
    }
  }
}
