import { fromBinary } from "@bufbuild/protobuf";
import { StoreBatchRequestSchema } from "@fizz/proto";
import type { Logger } from "@fizz/common";
import type { RecorderClient } from "@fizz/clients";
import { BatchWriter } from "./encode.js";
import type { PendingRecord } from "./recording.js";

export interface ShipperOptions {
  /** How often buffered records are sent. */
  flushIntervalMs: number;
  /** A batch goes out as soon as this many records (or maxBatchBytes) wait. */
  batchSize: number;
  maxBatchBytes: number;
  /** Records kept waiting at most (count and bytes); past either, new ones are dropped. */
  maxRecords: number;
  maxBytes: number;
  /** Deadline of one StoreBatch call. */
  timeoutMs: number;
  /** Minimum time between two warnings about dropped records. */
  warnEveryMs: number;
}

export const SHIPPER_DEFAULTS: ShipperOptions = {
  flushIntervalMs: 200,
  // Per-call cost (gRPC on both ends, one log append in the recorder) dwarfs per-record cost on a
  // shared machine: few large batches, up to the recorder's MAX_BATCH (a third of the gRPC CPU
  // per record at 1000 went to the call itself; bench/record-overhead ships ~3000 per flush).
  batchSize: 5000,
  maxBatchBytes: 8 * 1024 * 1024,
  maxRecords: 10_000,
  maxBytes: 64 * 1024 * 1024,
  timeoutMs: 2000,
  warnEveryMs: 30_000,
};

export interface ShipperStats {
  recorded: number;
  shipped: number;
  droppedRecords: number;
  batches: number;
  failedBatches: number;
  buffered: number;
}

/** Where batches go; with callRaw (a real client) the encoded bytes are sent as they are, else decoded messages. */
export type RecordSink = Pick<RecorderClient, "storeBatch"> & {
  callRaw?(method: "storeBatch", bytes: Uint8Array, opts?: { timeoutMs?: number }): Promise<unknown>;
};

/**
 * Ships recorded pairs to the recorder in batches, off the request path (like Taps): push() only
 * encodes the pair into the open batch's buffer (no I/O). A slow or absent recorder costs
 * records, never requests: full buffers or a failed batch drop records, count them and warn at
 * most every warnEveryMs.
 */
export class Shipper {
  private open = new BatchWriter();
  /** Closed batches waiting to be sent, oldest first. */
  private sealed: { bytes: Buffer; count: number }[] = [];
  /** Records and bytes waiting, open batch included (the bounds). */
  private waiting = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private soon = false;
  private lastWarn = 0;
  readonly stats: ShipperStats = { recorded: 0, shipped: 0, droppedRecords: 0, batches: 0, failedBatches: 0, buffered: 0 };
  private readonly o: ShipperOptions;

  constructor(
    private readonly store: RecordSink,
    private readonly log: Logger,
    options: Partial<ShipperOptions> = {},
  ) {
    this.o = { ...SHIPPER_DEFAULTS, ...options };
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.o.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and sends what is buffered (bounded by the call deadline). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    await this.flush(true);
  }

  push(r: PendingRecord): void {
    this.stats.recorded++;
    const bytes = this.waiting >= this.o.maxRecords ? -1 : this.open.add(r, this.o.maxBytes - this.bytes);
    if (bytes < 0) {
      this.drop(1, "recorder buffer full");
      return;
    }
    this.waiting++;
    this.bytes += bytes;
    if (this.open.count >= this.o.batchSize || this.open.bytes >= this.o.maxBatchBytes) {
      this.seal();
      if (!this.soon && this.timer) {
        this.soon = true;
        setImmediate(() => {
          this.soon = false;
          void this.flush();
        });
      }
    }
  }

  get buffered(): number {
    return this.waiting;
  }

  snapshot(): ShipperStats {
    return { ...this.stats, buffered: this.waiting };
  }

  /**
   * Sends one batch at a time. Batches filling meanwhile follow at once; a partial open batch
   * goes out on the next tick (or with `drain`), not in a trickle of small calls that would keep
   * one in flight all the time (the per-call cost on both ends dwarfs the per-record one).
   */
  flush(drain = false): Promise<void> {
    if (this.inFlight || !this.waiting) return this.inFlight ?? Promise.resolve();
    const p = this.send(drain).finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = p;
    return p;
  }

  private seal(): void {
    if (this.open.count) this.sealed.push({ count: this.open.count, bytes: this.open.take() });
  }

  private async send(drain: boolean): Promise<void> {
    for (let first = true; ; first = false) {
      if (!this.sealed.length && (first || drain)) this.seal();
      const batch = this.sealed.shift();
      if (!batch) return;
      this.waiting -= batch.count;
      this.bytes = Math.max(0, this.bytes - batch.bytes.length);
      try {
        await this.storeBatch(batch.bytes);
        this.stats.batches++;
        this.stats.shipped += batch.count;
      } catch (err) {
        this.stats.failedBatches++;
        this.drop(batch.count, `storeBatch failed: ${(err as Error).message}`);
        return; // the rest waits for the next tick rather than hammering a failing recorder
      }
    }
  }

  private storeBatch(bytes: Buffer): Promise<unknown> {
    const opts = { timeoutMs: this.o.timeoutMs };
    if (this.store.callRaw) return this.store.callRaw("storeBatch", bytes, opts);
    return this.store.storeBatch(fromBinary(StoreBatchRequestSchema, bytes), opts);
  }

  private drop(n: number, why: string): void {
    this.stats.droppedRecords += n;
    const now = Date.now();
    if (now - this.lastWarn < this.o.warnEveryMs) return;
    this.lastWarn = now;
    this.log.warn({ reason: why, droppedRecords: this.stats.droppedRecords }, "recorded requests dropped");
  }
}
