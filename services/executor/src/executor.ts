// Composition root: Informer over the controller, the pool backend (local processes or
// Kubernetes pods), the pool manager, the runtime log store and the ExecutorService gRPC server.
import { join } from "node:path";
import { silentLogger, type Logger, type Service } from "@fizz/common";
import { adminClient, Informer, keyOf, metaOf, storageClient, type AdminClient, type InformerEvent, type StorageClient } from "@fizz/clients";
import { Kind, type Resource } from "@fizz/proto";
import { startRpcServer, type RpcServer } from "@fizz/rpc";
import { KubeBackend } from "./backend/kube/kube-backend.js";
import type { PoolBackend } from "./backend/pool-backend.js";
import { ProcessBackend } from "./backend/process-backend.js";
import { ProcessPoolBackend } from "./backend/process-pool-backend.js";
import type { ExecutorConfig } from "./config.js";
import { LogStore } from "./logs/log-store.js";
import { PodLogSource } from "./logs/pod-log-source.js";
import type { FunctionLogSource } from "./logs/source.js";
import { PoolManager } from "./poolmgr/poolmgr.js";
import { executorBinding } from "./service.js";
import { NewDeployManager } from "./newdeploy/manager.js";
import { kubeConfig } from "@fizz/kube";
import { ExecutorMetrics } from "./metrics.js";

export class Executor implements Service {
  private server?: RpcServer;
  private admin?: AdminClient;
  private storage?: StorageClient;
  private informer?: Informer;
  private pm?: PoolManager;
  private newdeploy?: NewDeployManager;
  private logs?: LogStore;
  /** FunctionLogs' source: the LogStore, or the pods' logs on Kubernetes. */
  private logSource?: FunctionLogSource;
  readonly metrics: ExecutorMetrics;

  constructor(
    readonly config: ExecutorConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to config.backend: local processes under $FIZZ_STATE_DIR/instances, or Kubernetes pods. */
    private readonly backend?: PoolBackend,
  ) {
    this.metrics = new ExecutorMetrics(config.metricsAddress, () => this.pm?.list() ?? []);
  }

  async start(): Promise<void> {
    const c = this.config;
    const logs = (this.logs = new LogStore({ dir: join(c.stateDir, "logs"), maxBytes: c.logMaxBytes }, this.log.child({ component: "logs" })));
    const backend = this.backend ?? this.makeBackend(logs);
    this.admin = adminClient(c.admin);
    this.informer = new Informer(this.admin, [Kind.ENVIRONMENT, Kind.PACKAGE, Kind.FUNCTION], this.log.child({ component: "informer" }));
    this.pm = new PoolManager(
      this.informer,
      backend,
      { reapIntervalMs: c.reapIntervalMs, drainMs: c.drainMs, stopGraceMs: c.stopGraceMs },
      this.log.child({ component: "poolmgr" }),
      logs,
      this.metrics,
    );
    const source = (this.logSource = c.kube ? new PodLogSource(kubeConfig(c.kube.server), c.kube.namespace, this.log.child({ component: "pod-logs" })) : logs);
    this.informer.on("event", (e) => dropLogs(source, e));
    await this.informer.start();
    // Before any pool fills: adopt or remove what a previous run left behind.
    await this.pm.start();
    // newdeploy functions get their own Deployment on Kubernetes (locally poolmgr serves them).
    if (c.kube) {
      this.newdeploy = new NewDeployManager(this.informer, kubeConfig(c.kube.server), { ...c.kube, storage: c.storage, reapIntervalMs: c.reapIntervalMs }, this.log.child({ component: "newdeploy" }));
      await this.newdeploy.start();
    }
    // Logs of what was deleted while the executor was down.
    await logs.prune(keysOf(this.informer, Kind.FUNCTION), keysOf(this.informer, Kind.ENVIRONMENT));
    this.server = await startRpcServer(c.address, [executorBinding(this.pm, source, this.informer, this.newdeploy)], this.log, { onCall: this.metrics.listener.onCall });
    await this.metrics.listener.start();
    this.log.info({ address: this.server.address, stateDir: c.stateDir }, "executor serving");
  }

  private makeBackend(logs: LogStore): PoolBackend {
    const c = this.config;
    const log = this.log.child({ component: "backend" });
    const storage = () => (this.storage ??= storageClient(c.storage));
    if (c.kube) return new KubeBackend({ ...c.kube, storage: c.storage, startTimeoutMs: c.startTimeoutMs }, log);
    const processes = new ProcessBackend({ stateDir: c.stateDir, runtimes: c.runtimes, startTimeoutMs: c.startTimeoutMs, logs, defaultGraceMs: c.stopGraceMs }, log);
    return new ProcessPoolBackend(processes, storage, c.maxArchiveBytes, log);
  }

  async stop(): Promise<void> {
    // Followed log streams end first, or the server would wait for them.
    this.logSource?.endFollowers();
    await this.server?.stop();
    await this.metrics.listener.stop();
    this.informer?.stop();
    // No runtime outlives the executor.
    await this.newdeploy?.stop();
    await this.pm?.stop();
    await this.logs?.close();
    this.admin?.close();
    this.storage?.close();
    this.server = undefined;
    this.pm = undefined;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }

  /** host:port of the /metrics listener, once started (none with FIZZ_METRICS=off). */
  get metricsAddress(): string | undefined {
    return this.metrics.listener.address;
  }

  /** The runtime log store, for tests and diagnostics. */
  get logStore(): LogStore | undefined {
    return this.logs;
  }

  /** The pool manager, for tests and diagnostics. */
  get poolManager(): PoolManager | undefined {
    return this.pm;
  }
}

const keyOfResource = (r: Resource) => keyOf(metaOf(r).namespace, metaOf(r).name);

function dropLogs(logs: FunctionLogSource, e: InformerEvent): void {
  if (e.type !== "deleted") return;
  if (e.resource.kind.case === "function") void logs.removeFunction(keyOfResource(e.resource));
  else if (e.resource.kind.case === "environment" && logs instanceof LogStore) void logs.removeEnvironment(keyOfResource(e.resource));
}

const keysOf = (informer: Informer, kind: Kind) => new Set(informer.list(kind).map(keyOfResource));
