// Composition root: an Informer over Environments and Packages, the reconciler that builds
// pending packages, and a tiny HTTP endpoint for health and the build queue.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { METRICS_PATH, ServiceMetrics, silentLogger, splitHostPort, type Logger, type Service } from "@fizz/common";
import { adminClient, Informer, storageClient, type AdminClient, type StorageClient } from "@fizz/clients";
import { Kind } from "@fizz/proto";
import type { BuilderConfig } from "./config.js";
import { Reconciler } from "./reconciler.js";

export class Builder implements Service {
  private admin?: AdminClient;
  private storage?: StorageClient;
  private informer?: Informer;
  private reconciler?: Reconciler;
  private server?: Server;
  private synced = false;
  private bound?: string;

  /** Builds by result and duration, queue depth; served at /metrics. */
  readonly metrics = new ServiceMetrics("builder");
  private readonly builds = this.metrics.counter("builds_total", "Published build results", ["result"]);
  private readonly buildSeconds = this.metrics.histogram("build_duration_seconds", "Build time (unpack, build command, archive)", ["result"], [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]);
  private readonly queueGauge = this.metrics.gauge("builds_in_progress", "Builds running and queued", ["state"], (g) => {
    const q = this.reconciler?.snapshot();
    g.set({ state: "running" }, q?.running.length ?? 0);
    g.set({ state: "queued" }, q?.queued.length ?? 0);
  });

  constructor(
    readonly config: BuilderConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    const buildsDir = join(c.stateDir, "builds");
    // Work directories of a previous run are never resumed: the packages are built again.
    await rm(buildsDir, { recursive: true, force: true });
    this.admin = adminClient(c.admin);
    // Environments first, so a package's environment is known when its event arrives.
    this.informer = new Informer(this.admin, [Kind.ENVIRONMENT, Kind.PACKAGE], this.log.child({ component: "informer" }));
    const rec = new Reconciler({
      onBuilt: (result, seconds) => {
        this.builds.inc({ result });
        this.buildSeconds.observe({ result }, seconds);
      },
      admin: this.admin,
      informer: this.informer,
      storage: () => (this.storage ??= storageClient(c.storage)),
      buildsDir,
      concurrency: c.concurrency,
      limits: { timeoutMs: c.timeoutMs, logMaxBytes: c.logMaxBytes, maxArchiveBytes: c.maxArchiveBytes, literalMaxBytes: c.literalMaxBytes },
      log: this.log.child({ component: "builds" }),
    });
    this.reconciler = rec;
    this.informer.on("event", (ev) => {
      const r = ev.resource;
      if (r.kind.case === "package") {
        if (ev.type === "deleted") rec.onPackageDeleted(r.kind.value);
        else rec.onPackage(r.kind.value);
      } else if (r.kind.case === "environment" && ev.type !== "deleted") rec.onEnvironment(r.kind.value);
    });
    this.server = await listen(c.address, (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      if (req.method !== "GET") return json(405, { error: "only GET" });
      if (path === "/healthz") return this.synced ? json(200, { status: "ok" }) : json(503, { status: "syncing" });
      if (path === "/builds") return json(200, rec.snapshot());
      if (path === METRICS_PATH)
        return void this.metrics.scrape().then(({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body));
      json(404, { error: `no route ${path}` });
    });
    const a = this.server.address() as AddressInfo;
    this.bound = `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
    await this.informer.start();
    this.synced = true;
    this.log.info({ address: this.bound, stateDir: c.stateDir, concurrency: c.concurrency }, "builder serving");
  }

  async stop(): Promise<void> {
    this.informer?.stop();
    await this.reconciler?.stop();
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections(); // keep-alive clients must not hold the stop up
      await closed;
    }
    this.admin?.close();
    this.storage?.close();
    this.server = undefined;
    this.reconciler = undefined;
    this.storage = undefined;
    this.synced = false;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.bound;
  }
}

function listen(address: string, handler: Parameters<typeof createServer>[1] & {}): Promise<Server> {
  const { host, port } = splitHostPort(address);
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
