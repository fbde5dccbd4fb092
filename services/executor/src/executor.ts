// Composition root: Informer over the controller, the process backend, the pool manager and
// the ExecutorService gRPC server.
import { silentLogger, type Logger, type Service } from "@fizz/common";
import { adminClient, Informer, storageClient, type AdminClient, type StorageClient } from "@fizz/clients";
import { Kind } from "@fizz/proto";
import { startRpcServer, type RpcServer } from "@fizz/rpc";
import type { RuntimeBackend } from "./backend/backend.js";
import { ProcessBackend } from "./backend/process-backend.js";
import type { ExecutorConfig } from "./config.js";
import { PoolManager } from "./poolmgr/poolmgr.js";
import { executorBinding } from "./service.js";

export class Executor implements Service {
  private server?: RpcServer;
  private admin?: AdminClient;
  private storage?: StorageClient;
  private informer?: Informer;
  private pm?: PoolManager;

  constructor(
    readonly config: ExecutorConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to local processes under $FIZZ_STATE_DIR/instances. */
    private readonly backend?: RuntimeBackend,
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    const backend =
      this.backend ??
      new ProcessBackend(
        { stateDir: c.stateDir, runtimes: c.runtimes, startTimeoutMs: c.startTimeoutMs, logMaxBytes: c.logMaxBytes, defaultGraceMs: c.stopGraceMs },
        this.log.child({ component: "backend" }),
      );
    // Before anything spawns: kill what a crashed previous run left behind.
    await backend.cleanup();
    this.admin = adminClient(c.admin);
    this.informer = new Informer(this.admin, [Kind.ENVIRONMENT, Kind.PACKAGE, Kind.FUNCTION], this.log.child({ component: "informer" }));
    this.pm = new PoolManager(
      this.informer,
      backend,
      () => (this.storage ??= storageClient(c.storage)),
      { maxArchiveBytes: c.maxArchiveBytes, reapIntervalMs: c.reapIntervalMs, drainMs: c.drainMs, stopGraceMs: c.stopGraceMs },
      this.log.child({ component: "poolmgr" }),
    );
    this.pm.start();
    await this.informer.start();
    this.server = await startRpcServer(c.address, [executorBinding(this.pm)], this.log);
    this.log.info({ address: this.server.address, stateDir: c.stateDir }, "executor serving");
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.informer?.stop();
    // No runtime outlives the executor.
    await this.pm?.stop();
    this.admin?.close();
    this.storage?.close();
    this.server = undefined;
    this.pm = undefined;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }

  /** The pool manager, for tests and diagnostics. */
  get poolManager(): PoolManager | undefined {
    return this.pm;
  }
}
