// Composition root: the record store (Redis when FIZZ_REDIS_URL is set, else the embedded store
// under $FIZZ_STATE_DIR/recorder), the RecorderService handlers and their gRPC server.
import { join } from "node:path";
import { silentLogger, type Logger, type Service } from "@fizz/common";
import { RecorderService as RecorderServiceDesc } from "@fizz/proto";
import { bind, startRpcServer, type RpcServer } from "@fizz/rpc";
import type { RecorderConfig } from "./config.js";
import { recorderImpl } from "./handlers.js";
import { EmbeddedStore } from "./store/embedded-store.js";
import { RedisStore } from "./store/redis-store.js";
import type { RecordStore } from "./store/store.js";

/** The store the configuration names. */
export function storeFor(config: RecorderConfig, log: Logger): RecordStore {
  if (config.redisUrl) return new RedisStore({ url: config.redisUrl, maxPerIndex: config.maxRecords }, log.child({ component: "redis-store" }));
  return new EmbeddedStore(
    { file: join(config.stateDir, "recorder", "records.log"), maxRecords: config.maxRecords, maxBytes: config.maxBytes },
    log.child({ component: "embedded-store" }),
  );
}

export class Recorder implements Service {
  private server?: RpcServer;
  private active?: RecordStore;

  constructor(
    readonly config: RecorderConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to the store the config names. */
    private readonly store?: RecordStore,
  ) {}

  async start(): Promise<void> {
    const store = this.store ?? storeFor(this.config, this.log);
    await store.open();
    this.active = store;
    const impl = recorderImpl(store, { routerUrl: this.config.routerUrl, timeoutMs: this.config.replayTimeoutMs });
    try {
      this.server = await startRpcServer(this.config.address, [bind(RecorderServiceDesc, impl, { lazyRequests: ["storeBatch"] })], this.log);
    } catch (err) {
      await store.close();
      this.active = undefined;
      throw err;
    }
    const where = this.config.redisUrl && !this.store ? { redis: this.config.redisUrl.replace(/\/\/[^@/]*@/, "//***@") } : { stateDir: this.config.stateDir };
    this.log.info({ address: this.server.address, router: this.config.routerUrl, ...where }, "recorder serving");
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.active?.close();
    this.server = undefined;
    this.active = undefined;
  }

  /** host:port actually bound, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }
}
