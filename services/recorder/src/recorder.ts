// Composition root: the record store (Redis when FIZZ_REDIS_URL is set, else the embedded store
// under $FIZZ_STATE_DIR/recorder), the RecorderService handlers and their gRPC server.
import { join } from "node:path";
import { MetricsListener, silentLogger, type Logger, type Service } from "@fizz/common";
import { RecorderService as RecorderServiceDesc } from "@fizz/proto";
import { bind, startRpcServer, type RpcServer } from "@fizz/rpc";
import type { RecorderConfig } from "./config.js";
import { recorderImpl, type StoreCounters } from "./handlers.js";
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
  /** Calls by method and code (StoreBatch duration among them), records stored, store errors; /metrics over HTTP. */
  readonly metrics: MetricsListener;
  private readonly counters: StoreCounters;

  constructor(
    readonly config: RecorderConfig,
    private readonly log: Logger = silentLogger,
    /** Defaults to the store the config names. */
    private readonly store?: RecordStore,
  ) {
    this.metrics = new MetricsListener("recorder", config.metricsAddress);
    const stored = this.metrics.metrics.counter("records_stored_total", "Records StoreBatch wrote to the store");
    const failed = this.metrics.metrics.counter("store_errors_total", "StoreBatch calls the store failed to write");
    this.counters = { stored: (n) => stored.inc(n), failed: () => failed.inc() };
  }

  async start(): Promise<void> {
    const store = this.store ?? storeFor(this.config, this.log);
    await store.open();
    this.active = store;
    const impl = recorderImpl(store, { routerUrl: this.config.routerUrl, timeoutMs: this.config.replayTimeoutMs }, this.counters);
    try {
      this.server = await startRpcServer(this.config.address, [bind(RecorderServiceDesc, impl, { lazyRequests: ["storeBatch"] })], this.log, {
        onCall: this.metrics.onCall,
      });
      await this.metrics.start();
    } catch (err) {
      await this.server?.stop();
      await store.close();
      this.active = undefined;
      throw err;
    }
    const where = this.config.redisUrl && !this.store ? { redis: this.config.redisUrl.replace(/\/\/[^@/]*@/, "//***@") } : { stateDir: this.config.stateDir };
    this.log.info({ address: this.server.address, router: this.config.routerUrl, ...where }, "recorder serving");
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.metrics.stop();
    await this.active?.close();
    this.server = undefined;
    this.active = undefined;
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
