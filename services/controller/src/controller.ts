// Composition root: the store, the AdminService and its gRPC server.
import { join } from "node:path";
import { MetricsListener, silentLogger, type Logger, type Service } from "@fizz/common";
import { KINDS } from "@fizz/proto";
import { startRpcServer, type RpcServer } from "@fizz/rpc";
import { Admin } from "./admin.js";
import type { ControllerConfig } from "./config.js";
import { FileStore } from "./store/file-store.js";
import { KubeStore } from "./store/kube-store.js";
import { kubeConfig } from "@fizz/kube";
import type { ResourceStore } from "./store/store.js";

export class Controller implements Service {
  private server?: RpcServer;
  private admin?: Admin;
  private active?: ResourceStore;
  /** Calls by method and code (libs/rpc), resources by kind, open watches; /metrics over HTTP. */
  readonly metrics: MetricsListener;

  constructor(
    readonly config: ControllerConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to the embedded file store under $FIZZ_STATE_DIR/resources. */
    private readonly store?: ResourceStore,
  ) {
    this.metrics = new MetricsListener("controller", config.metricsAddress);
    const m = this.metrics.metrics;
    m.gauge("resources", "Stored resources by kind", ["kind"], async (g) => {
      const s = this.active;
      if (s) for (const k of KINDS) g.set({ kind: k.name }, (await s.list(k.kind)).length);
    });
    m.gauge("watchers", "Open Watch streams", [], (g) => g.set(this.watchers));
  }

  async start(): Promise<void> {
    const store = this.store ?? this.defaultStore();
    this.admin = await Admin.open(store, this.config.historySize, this.log.child({ component: "admin" }));
    this.active = store;
    this.server = await startRpcServer(this.config.address, [this.admin.binding()], this.log, { onCall: this.metrics.onCall });
    await this.metrics.start();
    this.log.info({ address: this.server.address, stateDir: this.config.stateDir }, "controller serving");
  }

  async stop(): Promise<void> {
    // Watches first: grpc's graceful shutdown waits for open streams.
    await this.admin?.close();
    await this.server?.stop();
    await this.metrics.stop();
    this.active?.close?.();
    this.server = undefined;
    this.admin = undefined;
  }

  /** FIZZ_STORE: the file store under $FIZZ_STATE_DIR/resources, or fizz.dev CRs in Kubernetes. */
  private defaultStore(): ResourceStore {
    const log = this.log.child({ component: "store" });
    const kube = this.config.kube;
    if (!kube) return new FileStore(join(this.config.stateDir, "resources"), log);
    // External changes (kubectl) reach the Watch history through Admin.external.
    return new KubeStore({ kubeConfig: kubeConfig(kube.server), namespace: kube.namespace, log });
  }

  /** Open Watch streams (for diagnostics and tests). */
  get watchers(): number {
    return this.admin?.hub.subscribers ?? 0;
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
