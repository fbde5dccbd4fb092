// Services as kube-proxy makes them work: each Service gets a clusterIP 127.B.1.N (written to
// spec.clusterIP) and, on each of its TCP ports, a proxy that forwards every connection to a
// ready pod matching the selector (round robin), on the port's targetPort (number or the name of
// a container port). With no ready pod the connection is closed at once.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { addressOf, type KubeObject, type ObjectStore } from "./objects.js";
import { isReady, PODS } from "./deployments.js";
import { labelsOf, mapMatches } from "./selectors.js";

export const SERVICES = "core/v1/services";

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface Proxy {
  uid: string;
  ip: string;
  /** "port→targetPort" per listener, to notice a changed Service. */
  listeners: Map<string, Server>;
  sockets: Set<Socket>;
  next: number;
}

export class ServiceProxies {
  private readonly proxies = new Map<string, Proxy>();
  private nextIp = 1;
  private stopped = false;

  constructor(
    private readonly store: ObjectStore,
    /** clusterIPs are 127.<octet>.1.N. */
    private readonly octet: number,
  ) {}

  reconcile(): void {
    if (this.stopped) return;
    const services = new Map(this.store.list(SERVICES, undefined).map((s) => [String(s.metadata?.uid), s]));
    for (const [uid, p] of this.proxies) if (!services.has(uid)) this.close(uid, p);
    for (const [uid, svc] of services) this.sync(uid, svc);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.proxies].map(([uid, p]) => this.close(uid, p)));
  }

  private sync(uid: string, svc: KubeObject): void {
    const { namespace = "", name = "" } = svc.metadata ?? {};
    const spec = (svc.spec ?? {}) as { clusterIP?: string; ports?: ServicePort[]; selector?: Record<string, string> };
    let p = this.proxies.get(uid);
    if (!p) {
      const ip = this.allocateIp();
      p = { uid, ip, listeners: new Map(), sockets: new Set(), next: 0 };
      this.proxies.set(uid, p);
    }
    if (spec.clusterIP !== p.ip) this.store.patch(addressOf(SERVICES, namespace, name), { spec: { clusterIP: p.ip, clusterIPs: [p.ip] } }, undefined);
    const want = new Map((spec.ports ?? []).filter((sp) => (sp.protocol ?? "TCP") === "TCP").map((sp) => [`${sp.port}→${sp.targetPort ?? sp.port}`, sp]));
    for (const [k, server] of p.listeners) if (!want.has(k)) (server.close(), p.listeners.delete(k));
    for (const [k, sp] of want) if (!p.listeners.has(k)) p.listeners.set(k, this.listen(p, namespace, spec.selector, sp));
  }

  private listen(p: Proxy, namespace: string, selector: Record<string, string> | undefined, sp: ServicePort): Server {
    const server = createServer((client) => {
      p.sockets.add(client);
      client.on("close", () => p.sockets.delete(client));
      // Read the selector's current ready pods at connect time, as kube-proxy's rules follow Endpoints.
      const ready = this.store.list(PODS, namespace).filter((pod) => isReady(pod) && mapMatches(selector, labelsOf(pod)));
      const pod = ready[p.next++ % Math.max(1, ready.length)];
      const port = pod && targetPortOf(pod, sp);
      const ip = (pod?.status as { podIP?: string } | undefined)?.podIP;
      if (!pod || !port || !ip) return void client.destroy();
      const upstream = createConnection({ host: ip, port });
      p.sockets.add(upstream);
      upstream.on("close", () => p.sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    // A port already taken elsewhere must not crash the test process; the Service just does not answer.
    server.on("error", () => server.close());
    server.listen(sp.port, p.ip);
    return server;
  }

  private async close(uid: string, p: Proxy): Promise<void> {
    this.proxies.delete(uid);
    for (const s of p.sockets) s.destroy();
    await Promise.all([...p.listeners.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private allocateIp(): string {
    const n = this.nextIp++;
    if (n > 254) throw new Error(`FakeCluster: out of Service IPs (127.${this.octet}.1.1-254)`);
    return `127.${this.octet}.1.${n}`;
  }
}

function targetPortOf(pod: KubeObject, sp: ServicePort): number | undefined {
  const t = sp.targetPort ?? sp.port;
  if (typeof t === "number") return t;
  if (/^\d+$/.test(t)) return Number(t);
  const containers = ((pod.spec as { containers?: { ports?: { name?: string; containerPort: number }[] }[] } | undefined)?.containers ?? []);
  return containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === t)?.containerPort;
}
