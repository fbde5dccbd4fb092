// Composition root: the store, the AdminService and its gRPC server.
import { join } from "node:path";
import { silentLogger, type Logger, type Service } from "@fizz/common";
import { startRpcServer, type RpcServer } from "@fizz/rpc";
import { Admin } from "./admin.js";
import type { ControllerConfig } from "./config.js";
import { FileStore } from "./store/file-store.js";
import type { ResourceStore } from "./store/store.js";

export class Controller implements Service {
  private server?: RpcServer;
  private admin?: Admin;

  constructor(
    readonly config: ControllerConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to the embedded file store under $FIZZ_STATE_DIR/resources. */
    private readonly store?: ResourceStore,
  ) {}

  async start(): Promise<void> {
    const store = this.store ?? new FileStore(join(this.config.stateDir, "resources"), this.log.child({ component: "store" }));
    this.admin = await Admin.open(store, this.config.historySize, this.log.child({ component: "admin" }));
    this.server = await startRpcServer(this.config.address, [this.admin.binding()], this.log);
    this.log.info({ address: this.server.address, stateDir: this.config.stateDir }, "controller serving");
  }

  async stop(): Promise<void> {
    // Watches first: grpc's graceful shutdown waits for open streams.
    await this.admin?.close();
    await this.server?.stop();
    this.server = undefined;
    this.admin = undefined;
  }

  /** Open Watch streams (for diagnostics and tests). */
  get watchers(): number {
    return this.admin?.hub.subscribers ?? 0;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }
}
