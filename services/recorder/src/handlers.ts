// RecorderService handlers over a RecordStore. StoreBatch stores records as routers sent them:
// routers already sampled, redacted and truncated.
import type { RecorderService } from "@fizz/proto";
import { invalid, notFound } from "@fizz/common";
import type { ServiceImpl } from "@fizz/rpc";
import { replay, type ReplayOptions } from "./replay.js";
import { encodedFromBytes, encodeRecord, forEachRecord, recordSlices } from "./store/record-bytes.js";
import type { RecordStore } from "./store/store.js";

/** Records per StoreBatch at most (about 1.6 MB of router-like records). */
export const MAX_BATCH = 5000;

/** What StoreBatch did (metrics): records stored, and batches the store failed to write. */
export interface StoreCounters {
  stored(n: number): void;
  failed(): void;
}

export function recorderImpl(store: RecordStore, replayOpts: ReplayOptions, counters?: StoreCounters): ServiceImpl<(typeof RecorderService)["method"]> {
  return {
    async storeBatch(req, ctx) {
      // Records are stored as sent; `req` (decoded lazily) is read only when the bytes cannot be walked.
      const bytes = ctx.requestBytes;
      const walked = bytes ? forEachRecord(bytes) : -1;
      const count = walked >= 0 ? walked : req.records.length;
      if (count > MAX_BATCH) throw invalid(`a batch holds at most ${MAX_BATCH} records, got ${count}; send smaller batches`);
      const now = Date.now();
      // Store failures are counted; invalid records (thrown before the store is called) are not.
      const storing = async <T>(write: () => Promise<T>): Promise<T> => {
        try {
          return await write();
        } catch (err) {
          counters?.failed();
          throw err;
        }
      };
      // A store keeping whole batches takes the bytes as one unit: no per-record work here.
      let stored = walked >= 0 && store.putBatch ? await storing(() => store.putBatch!(bytes!)) : undefined;
      if (stored === undefined) {
        const records = walked >= 0 ? recordSlices(bytes!)!.map((b) => encodedFromBytes(b, now)) : req.records.map((r) => encodeRecord(r, now));
        stored = await storing(() => store.put(records));
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
