// Where the router's recorded batches go by default: a worker thread that sends them to the
// recorder (ship-worker.ts). The router's event loop is what limits its throughput; sending a
// ~300 KB batch over gRPC cost it about a microsecond per record, plus the GC of the buffers, and
// now costs one postMessage per batch (the bytes are moved, not copied). A dead worker fails the
// calls it held (the shipper drops and counts those records) and the next batch starts another.
// The thread runs at a lower CPU priority (nice, default 10): on a busy machine shipping waits for
// the CPU request serving leaves, instead of taking turns with the event loop.
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { StoreBatchRequestSchema, StoreBatchResponseSchema, type StoreBatchResponse } from "@fizz/proto";
import type { CallOptions } from "@fizz/rpc";
import { BACKGROUND_NICE, type Logger } from "@fizz/common";
import type { ShipData, ShipReply, ShipRequest } from "./ship-worker.js";

// From the package root, so src (tests, run by ts-jest) and dist both start the compiled worker.
const SCRIPT = fileURLToPath(new URL("../../dist/recording/ship-worker.js", import.meta.url));

interface Pending {
  resolve: (res: StoreBatchResponse) => void;
  reject: (err: Error) => void;
}

export class WorkerSink {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(
    readonly target: string,
    private readonly log: Logger,
    /** The thread's nice value (0: the router's priority). */
    private readonly nice = BACKGROUND_NICE,
  ) {}

  storeBatch(req: MessageInitShape<typeof StoreBatchRequestSchema>, opts?: CallOptions): Promise<StoreBatchResponse> {
    return this.callRaw("storeBatch", toBinary(StoreBatchRequestSchema, create(StoreBatchRequestSchema, req)), opts);
  }

  /**
   * Sends a StoreBatch request's bytes. Their whole ArrayBuffer is moved to the thread, not
   * copied (the shipper's batch buffers are its own; unusable here after), except for small
   * ones, which may sit in node's shared Buffer pool (under poolSize / 2) and are copied.
   */
  callRaw(method: "storeBatch", bytes: Uint8Array, opts?: CallOptions): Promise<StoreBatchResponse> {
    if (this.closed) return Promise.reject(new Error("recorder sink closed"));
    const id = ++this.nextId;
    const b = bytes.byteLength >= Buffer.poolSize >>> 1 ? bytes : new Uint8Array(bytes);
    const msg: ShipRequest = { id, buffer: b.buffer as ArrayBuffer, offset: b.byteOffset, length: b.byteLength, timeoutMs: opts?.timeoutMs };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.start().postMessage(msg, [msg.buffer]);
    });
  }

  close(): void {
    this.closed = true;
    this.worker?.postMessage("close");
    this.worker = undefined;
  }

  /** The worker, started on first use and again after one died. */
  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(SCRIPT, { workerData: { target: this.target, nice: this.nice } satisfies ShipData });
    w.unref();
    w.on("message", (r: ShipReply) => {
      if (r.id === 0) return void this.log.warn({ err: r.error }, "record shipping thread keeps the router's CPU priority");
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.error === undefined) p.resolve(create(StoreBatchResponseSchema, { stored: r.stored ?? 0 }));
      else p.reject(new Error(r.error));
    });
    w.on("error", (err) => this.log.warn({ err: err.message }, "record shipping thread failed"));
    w.on("exit", (code) => {
      if (this.worker === w) this.worker = undefined;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const p of lost) p.reject(new Error(`record shipping thread exited (code ${code})`));
    });
    this.worker = w;
    return w;
  }
}
