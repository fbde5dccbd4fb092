// The executor's view of its pods: one list + watch of the functions namespace (by the managed-by
// label), resumed from the last resourceVersion and relisted when it ends (410 Gone included).
// Every change is reported, so claims can wait for a ready pod and exits are noticed.
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import type { Logger } from "@fizz/common";
import { LABEL, MANAGED_BY } from "./pod-template.js";

export type PodEvent = "ADDED" | "MODIFIED" | "DELETED";
const SELECTOR = `${LABEL.managedBy}=${MANAGED_BY}`;
const RETRY_MS = 500;

export const isReady = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp && !!p.status?.podIP && (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

export class PodCache {
  private readonly pods = new Map<string, V1Pod>();
  private readonly core: CoreV1Api;
  private readonly watch: Watch;
  private readonly waiters = new Set<() => void>();
  private abort?: AbortController;
  private retry?: NodeJS.Timeout;
  private closed = false;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly onChange: (type: PodEvent, pod: V1Pod) => void,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.watch = new Watch(kc);
  }

  /** Resolves once the first list is in. */
  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.abort?.abort();
    this.wake();
  }

  get(name: string): V1Pod | undefined {
    return this.pods.get(name);
  }

  all(): IterableIterator<V1Pod> {
    return this.pods.values();
  }

  /** Resolves on the next change (or after timeoutMs). */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, timeoutMs).unref();
      this.waiters.add(done);
    });
  }

  private async relist(): Promise<void> {
    const list = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: SELECTOR });
    const seen = new Set<string>();
    for (const pod of list.items) {
      if (pod.metadata?.labels?.[LABEL.managedBy] !== MANAGED_BY) continue;
      seen.add(pod.metadata.name!);
      this.apply(this.pods.has(pod.metadata.name!) ? "MODIFIED" : "ADDED", pod);
    }
    // Gone while we were not watching.
    for (const [name, pod] of [...this.pods]) if (!seen.has(name)) this.apply("DELETED", pod);
    await this.startWatch(list.metadata?.resourceVersion);
  }

  private async startWatch(resourceVersion: string | undefined): Promise<void> {
    if (this.closed) return;
    let lastRv = resourceVersion;
    let ended = false;
    const again = (err: unknown) => {
      if (this.closed || ended) return;
      ended = true;
      this.abort?.abort();
      if (err) this.log.warn({ err: String(err) }, "pod watch ended; relisting");
      this.retry = setTimeout(() => void this.relist().catch((e: unknown) => again(e)), RETRY_MS).unref();
    };
    this.abort = await this.watch.watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      { labelSelector: SELECTOR, resourceVersion: lastRv, allowWatchBookmarks: true },
      (type, obj: V1Pod) => {
        lastRv = obj.metadata?.resourceVersion ?? lastRv;
        if (type === "ERROR") return again(new Error(JSON.stringify(obj)));
        if (type === "BOOKMARK" || obj.metadata?.labels?.[LABEL.managedBy] !== MANAGED_BY) return;
        this.apply(type as PodEvent, obj);
      },
      (err) => again(err),
    );
  }

  private apply(type: PodEvent, pod: V1Pod): void {
    const name = pod.metadata?.name ?? "";
    if (type === "DELETED") {
      if (!this.pods.delete(name)) return;
    } else this.pods.set(name, pod);
    this.onChange(type, pod);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
