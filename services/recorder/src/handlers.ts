// RecorderService handlers over a RecordStore. StoreBatch stores records as routers sent them:
// routers already sampled, redacted and truncated.
import type { RecorderService } from "@fizz/proto";
import { invalid, notFound } from "@fizz/common";
import type { ServiceImpl } from "@fizz/rpc";
import { replay, type ReplayOptions } from "./replay.js";
import { encodedFromBytes, encodeRecord, recordSlices } from "./store/record-bytes.js";
import type { RecordStore } from "./store/store.js";

export const MAX_BATCH = 1000;

/** What StoreBatch did (metrics): records stored, and batches the store failed to write. */
export interface StoreCounters {
  stored(n: number): void;
  failed(): void;
}

export function recorderImpl(store: RecordStore, replayOpts: ReplayOptions, counters?: StoreCounters): ServiceImpl<(typeof RecorderService)["method"]> {
  return {
    async storeBatch(req, ctx) {
      // Records are stored as sent; `req` (decoded lazily) is read only when the bytes cannot be sliced.
      const slices = ctx.requestBytes && recordSlices(ctx.requestBytes);
      const count = slices ? slices.length : req.records.length;
      if (count > MAX_BATCH) throw invalid(`a batch holds at most ${MAX_BATCH} records, got ${count}; send smaller batches`);
      const now = Date.now();
      const records = slices ? slices.map((b) => encodedFromBytes(b, now)) : req.records.map((r) => encodeRecord(r, now));
      let stored: number;
      try {
        stored = await store.put(records);
      } catch (err) {
        counters?.failed();
        throw err;
      }
      counters?.stored(stored);
      return { stored };
    },
    async listRecords(req) {
      const records = await store.list({
        function: req.function,
        namespace: req.namespace,
        trigger: req.trigger,
        sinceMs: Number(req.sinceMs),
        untilMs: Number(req.untilMs),
        status: req.status,
        limit: req.limit,
      });
      return { records };
    },
    async getRecord(req) {
      if (!req.requestId) throw invalid("request_id is required");
      const r = await store.get(req.requestId);
      if (!r) throw notFound(`record ${req.requestId} not found (it may have expired)`);
      return r;
    },
    async deleteRecords(req) {
      return { deleted: await store.delete(req.requestIds) };
    },
    async replay(req) {
      return replay(store, req, replayOpts);
    },
  };
}
