// Composition root: the archive backend, the StorageService handlers and their gRPC server.
import { join } from "node:path";
import { silentLogger, type Logger, type Service } from "@fizz/common";
import { StorageService as StorageServiceDesc } from "@fizz/proto";
import { bind, startRpcServer, type RpcServer } from "@fizz/rpc";
import type { ArchiveBackend } from "./backend.js";
import type { StorageConfig } from "./config.js";
import { FsBackend } from "./fs-backend.js";
import { storageImpl } from "./handlers.js";

export class StorageService implements Service {
  private server?: RpcServer;
  private active?: ArchiveBackend;

  constructor(
    readonly config: StorageConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to the filesystem backend under $FIZZ_STATE_DIR/storage. */
    private readonly backend?: ArchiveBackend,
  ) {}

  async start(): Promise<void> {
    const backend = this.backend ?? new FsBackend(join(this.config.stateDir, "storage"), this.log.child({ component: "fs-backend" }));
    await backend.open();
    this.active = backend;
    this.server = await startRpcServer(this.config.address, [bind(StorageServiceDesc, storageImpl(backend, this.config.maxBytes))], this.log);
    this.log.info({ address: this.server.address, stateDir: this.config.stateDir, maxBytes: this.config.maxBytes }, "storage serving");
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.active?.close?.();
    this.server = undefined;
    this.active = undefined;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }
}
