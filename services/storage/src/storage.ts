// Composition root: the archive backend (fs or S3, from config), the StorageService handlers,
// their gRPC server and the archive garbage collector.
import { join } from "node:path";
import { MetricsListener, silentLogger, type Logger, type Service } from "@fizz/common";
import { adminClient, type AdminClient } from "@fizz/clients";
import { StorageService as StorageServiceDesc } from "@fizz/proto";
import { bind, startRpcServer, type RpcServer } from "@fizz/rpc";
import type { ArchiveBackend } from "./backend.js";
import type { StorageConfig } from "./config.js";
import { FsBackend } from "./fs-backend.js";
import { ArchiveGc, canList } from "./gc.js";
import { storageImpl, type ByteCounters } from "./handlers.js";
import { S3Backend } from "./s3-backend.js";

/** The backend the configuration names. */
export function backendFor(config: StorageConfig, log: Logger): ArchiveBackend {
  if (config.backend === "s3") return new S3Backend(config.s3, log.child({ component: "s3-backend" }));
  return new FsBackend(join(config.stateDir, "storage"), log.child({ component: "fs-backend" }));
}

export class StorageService implements Service {
  private server?: RpcServer;
  private active?: ArchiveBackend;
  private admin?: AdminClient;
  private collector?: ArchiveGc;
  /** Calls by method and code (uploads, downloads…), bytes stored and served; /metrics over HTTP. */
  readonly metrics: MetricsListener;
  private readonly bytes: ByteCounters;

  constructor(
    readonly config: StorageConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to the backend the config names (the filesystem under $FIZZ_STATE_DIR/storage). */
    private readonly backend?: ArchiveBackend,
  ) {
    this.metrics = new MetricsListener("storage", config.metricsAddress);
    const stored = this.metrics.metrics.counter("stored_bytes_total", "Archive bytes accepted by uploads");
    const served = this.metrics.metrics.counter("served_bytes_total", "Archive bytes sent by downloads");
    this.bytes = { stored: (n) => stored.inc(n), served: (n) => served.inc(n) };
  }

  async start(): Promise<void> {
    const backend = this.backend ?? backendFor(this.config, this.log);
    await backend.open();
    this.active = backend;
    this.server = await startRpcServer(this.config.address, [bind(StorageServiceDesc, storageImpl(backend, this.config.maxBytes, this.bytes))], this.log, {
      onCall: this.metrics.onCall,
    });
    await this.metrics.start();
    const where = this.config.backend === "s3" && !this.backend ? { endpoint: this.config.s3.endpoint, bucket: this.config.s3.bucket } : { stateDir: this.config.stateDir };
    this.log.info({ address: this.server.address, backend: this.config.backend, ...where, maxBytes: this.config.maxBytes }, "storage serving");
    this.startGc(backend);
  }

  private startGc(backend: ArchiveBackend): void {
    const { intervalMs, graceMs } = this.config.gc;
    if (intervalMs === 0) return;
    if (!canList(backend)) {
      this.log.warn("archive backend cannot list; garbage collection is off");
      return;
    }
    this.admin = adminClient(this.config.adminAddress);
    this.collector = new ArchiveGc(backend, this.admin, { intervalMs, graceMs }, this.log.child({ component: "gc" }));
    this.collector.start();
  }

  async stop(): Promise<void> {
    await this.collector?.stop();
    this.admin?.close();
    await this.server?.stop();
    await this.metrics.stop();
    await this.active?.close?.();
    this.server = undefined;
    this.active = undefined;
    this.collector = undefined;
    this.admin = undefined;
  }

  /** The garbage collector, when running (for tests and diagnostics). */
  get gc(): ArchiveGc | undefined {
    return this.collector;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }

  /** host:port of the /metrics listener, once started (none with FIZZ_METRICS=off). */
  get metricsAddress(): string | undefined {
    return this.metrics.address;
  }
}
