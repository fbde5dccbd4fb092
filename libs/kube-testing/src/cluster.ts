// The controllers and kubelet a real cluster runs, over a FakeKubeApi's store (no cluster can run
// here): Deployments (deployments.ts), a kubelet running pods as local processes (kubelet.ts) and
// Services as local TCP proxies (services.ts). HorizontalPodAutoscalers are stored as-is. Everything
// is written through the store, so clients' watches see each change with its resourceVersion.
import { mkdirSync } from "node:fs";
import { reconcileDeployments, DEPLOYMENTS, PODS } from "./deployments.js";
import { Kubelet, type ImageCommand } from "./kubelet.js";
import { ServiceProxies, SERVICES } from "./services.js";
import { claimSubnet, type Subnet } from "./loopback.js";
import type { FakeKubeApi } from "./server.js";
import type { StoredEvent } from "./objects.js";

export type { ImageCommand } from "./kubelet.js";

export interface FakeClusterOptions {
  /** Image name without tag → the local command its containers run ("fizz/fetcher" → node …/main.js). */
  images: Record<string, ImageCommand>;
  /** Where pods' emptyDir volumes live. */
  stateDir: string;
  /** How often readiness probes run (default 200 ms). */
  probeIntervalMs?: number;
  /** stop() waits at most this long before SIGKILL, whatever a pod's grace period (default 5 s). */
  stopGraceMs?: number;
}

const WATCHED = new Set([DEPLOYMENTS, PODS, SERVICES]);

export class FakeCluster {
  private readonly subnet: Subnet;
  private readonly kubelet: Kubelet;
  private readonly services: ServiceProxies;
  private unsubscribe?: () => void;
  private scheduled = false;
  private stopped = false;
  /** Errors of reconcile passes (a test can assert there were none). */
  readonly errors: unknown[] = [];

  constructor(
    private readonly api: FakeKubeApi,
    private readonly o: FakeClusterOptions,
  ) {
    mkdirSync(o.stateDir, { recursive: true });
    this.subnet = claimSubnet();
    this.kubelet = new Kubelet(api.objects, { images: o.images, stateDir: o.stateDir, probeIntervalMs: o.probeIntervalMs ?? 200, octet: this.subnet.octet });
    this.services = new ServiceProxies(api.objects, this.subnet.octet);
    api.podLogs = (ns, pod, container) => this.kubelet.logFeed(ns, pod, container);
  }

  start(): Promise<void> {
    this.unsubscribe = this.api.objects.subscribe((e: StoredEvent) => WATCHED.has(e.collection) && this.schedule());
    this.schedule();
    return Promise.resolve();
  }

  /** Stops the controllers, closes Service proxies and kills every pod's processes (awaited). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.api.podLogs = undefined;
    await Promise.all([this.services.stop(), this.kubelet.stop(this.o.stopGraceMs ?? 5000)]);
    this.subnet.release();
  }

  /** Kills a container's process group, as a crash would; the kubelet restarts it. */
  crashContainer(namespace: string, pod: string, container: string): void {
    this.kubelet.crash(namespace, pod, container);
  }

  /** What a container printed (stdout and stderr, last 1 MiB), across restarts. */
  logs(namespace: string, pod: string, container: string): string {
    return this.kubelet.logs(namespace, pod, container);
  }

  /** Resolves once every process of the pod has exited (after it was deleted); at once if none runs. */
  terminated(namespace: string, pod: string): Promise<void> {
    return this.kubelet.terminated(namespace, pod);
  }

  /** Pod IPs are 127.<octet>.0.N and clusterIPs 127.<octet>.1.N: a range claimed for this cluster alone. */
  get octet(): number {
    return this.subnet.octet;
  }

  /** The process id of a running container (its process group id too). */
  pid(namespace: string, pod: string, container: string): number | undefined {
    return this.kubelet.pid(namespace, pod, container);
  }

  // Changes arrive synchronously inside store writes; reconciling later keeps passes out of them
  // and folds bursts of events into one level-triggered pass.
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.pass());
  }

  private pass(): void {
    this.scheduled = false;
    if (this.stopped) return;
    // Each controller on its own: one failing must not stall the others.
    for (const step of [() => reconcileDeployments(this.api.objects), () => this.kubelet.reconcile(), () => this.services.reconcile()]) {
      try {
        step();
      } catch (err) {
        this.errors.push(err);
      }
    }
  }
}
