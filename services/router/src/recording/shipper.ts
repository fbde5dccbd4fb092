import type { Logger } from "@fizz/common";
import type { RecorderClient } from "@fizz/clients";
import { encodeStoreBatch } from "./encode.js";
import { sizeOf, type PendingRecord } from "./recording.js";

export interface ShipperOptions {
  /** How often buffered records are sent. */
  flushIntervalMs: number;
  /** A batch goes out as soon as this many records wait. */
  batchSize: number;
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
  batchSize: 500,
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

/** Where batches go; with callRaw (a real client) they are sent hand-encoded, else as messages. */
export type RecordSink = Pick<RecorderClient, "storeBatch"> & Partial<Pick<RecorderClient, "callRaw">>;

/**
 * Ships recorded pairs to the recorder in batches, off the request path (like Taps): push() only
 * appends to a bounded buffer. A slow or absent recorder costs records, never requests: a full
 * buffer or a failed batch drops records, counts them and warns at most every warnEveryMs.
 */
export class Shipper {
  private buf: PendingRecord[] = [];
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
    await this.flush();
  }

  push(r: PendingRecord): void {
    this.stats.recorded++;
    const size = sizeOf(r);
    if (this.buf.length >= this.o.maxRecords || this.bytes + size > this.o.maxBytes) {
      this.drop(1, "recorder buffer full");
      return;
    }
    this.buf.push(r);
    this.bytes += size;
    if (this.buf.length >= this.o.batchSize && !this.soon && this.timer) {
      this.soon = true;
      setImmediate(() => {
        this.soon = false;
        void this.flush();
      });
    }
  }

  get buffered(): number {
    return this.buf.length;
  }

  snapshot(): ShipperStats {
    return { ...this.stats, buffered: this.buf.length };
  }

  /** Sends one batch at a time; records arriving meanwhile wait for the next one. */
  flush(): Promise<void> {
    if (this.inFlight || !this.buf.length) return this.inFlight ?? Promise.resolve();
    const p = this.send().finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = p;
    return p;
  }

  private async send(): Promise<void> {
    while (this.buf.length) {
      const batch = this.buf.length > this.o.batchSize ? this.buf.splice(0, this.o.batchSize) : this.buf.splice(0);
      let size = 0;
      for (const r of batch) size += sizeOf(r);
      this.bytes = Math.max(0, this.bytes - size);
      try {
        await this.storeBatch(batch);
        this.stats.batches++;
        this.stats.shipped += batch.length;
      } catch (err) {
        this.stats.failedBatches++;
        this.drop(batch.length, `storeBatch failed: ${(err as Error).message}`);
        return; // the rest waits for the next tick rather than hammering a failing recorder
      }
    }
  }

  private storeBatch(batch: PendingRecord[]): Promise<unknown> {
    const opts = { timeoutMs: this.o.timeoutMs };
    // Encoded by hand in one buffer: reflective protobuf-es encoding was the router's main recording cost.
    if (this.store.callRaw) return this.store.callRaw("storeBatch", encodeStoreBatch(batch), opts);
    const records = batch.map((r) => ({ ...r, timestampMs: BigInt(r.timestampMs), retentionSeconds: BigInt(r.retentionSeconds) }));
    return this.store.storeBatch({ records }, opts);
  }

  private drop(n: number, why: string): void {
    this.stats.droppedRecords += n;
    const now = Date.now();
    if (now - this.lastWarn < this.o.warnEveryMs) return;
    this.lastWarn = now;
    this.log.warn({ reason: why, droppedRecords: this.stats.droppedRecords }, "recorded requests dropped");
  }
}
