// The contract both record stores keep: one record per request id, gone after its retention,
// listed newest first without bodies.
import { create } from "@bufbuild/protobuf";
import { RecordSchema, type Record as RecordMsg } from "@fizz/proto";
import { DEFAULT_NAMESPACE, invalid } from "@fizz/common";
import type { EncodedRecord, RecordIndex } from "./record-bytes.js";

export interface ListFilter {
  function?: string;
  /** Defaults to "default" when function or trigger is given; else any namespace. */
  namespace?: string;
  trigger?: string;
  /** Unix milliseconds, inclusive; 0/undefined = unbounded. */
  sinceMs?: number;
  untilMs?: number;
  /** "2xx", "4xx", "5xx" (any class "Nxx") or an exact status ("404"); empty = any. */
  status?: string;
  /** Default 50. */
  limit?: number;
}

export interface RecordStore {
  open(): Promise<void>;
  /** Stores (or replaces, by request id) normalized records; returns how many were stored. */
  put(records: readonly EncodedRecord[]): Promise<number>;
  /**
   * Stores a StoreBatchRequest binary (at most MAX_BATCH records) as it is, when the store can keep
   * whole batches; undefined, storing nothing, when its records need `put`'s per-record path
   * (fields to fill in, or invalid ones to report).
   */
  putBatch?(batch: Uint8Array): Promise<number | undefined>;
  get(requestId: string): Promise<RecordMsg | undefined>;
  /** Newest first, bodies left out. */
  list(filter: ListFilter): Promise<RecordMsg[]>;
  /** Returns how many existed. */
  delete(requestIds: string[]): Promise<number>;
  close(): Promise<void>;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;
/** Used when a record carries no retention (the Recorder default, 24h). */
export const DEFAULT_RETENTION_SECONDS = 24 * 3600;

export const retentionSecondsOf = (r: RecordIndex) => (r.retentionSeconds > 0 ? r.retentionSeconds : DEFAULT_RETENTION_SECONDS);

/** Checks the fields every record needs. */
export function checkRecord(r: { requestId: string; function: string }): void {
  if (!r.requestId) throw invalid("record has no request_id");
  if (r.requestId.length > 200 || /[\s\u0000-\u001f]/.test(r.requestId)) throw invalid(`record request_id "${r.requestId.slice(0, 40)}" is not valid`);
  if (!r.function) throw invalid(`record ${r.requestId} has no function`);
}

/** Checks a record before it is stored and fills in what a router may leave empty. */
export function normalizeRecord(r: RecordMsg, now = Date.now()): RecordMsg {
  checkRecord(r);
  if (!r.namespace) r.namespace = DEFAULT_NAMESPACE;
  if (r.timestampMs <= 0n) r.timestampMs = BigInt(now);
  if (r.retentionSeconds <= 0n) r.retentionSeconds = BigInt(DEFAULT_RETENTION_SECONDS);
  return r;
}

/** A copy without the bodies, for listings. */
export function withoutBodies(r: RecordMsg): RecordMsg {
  return create(RecordSchema, { ...r, requestBody: new Uint8Array(0), responseBody: new Uint8Array(0) });
}

/** A predicate for the status filter; INVALID_ARGUMENT when it is neither "Nxx" nor a status. */
export function statusMatcher(status: string | undefined): (code: number) => boolean {
  const s = (status ?? "").trim().toLowerCase();
  if (!s) return () => true;
  const cls = /^([1-5])xx$/.exec(s);
  if (cls) {
    const lo = Number(cls[1]) * 100;
    return (code) => code >= lo && code < lo + 100;
  }
  if (/^\d{3}$/.test(s)) return (code) => code === Number(s);
  throw invalid(`status "${status}" must be a class such as "2xx", "4xx", "5xx" or an exact status such as "404"`);
}

export interface ResolvedFilter {
  namespace?: string;
  function?: string;
  trigger?: string;
  sinceMs: number;
  untilMs: number;
  limit: number;
  status(code: number): boolean;
  matches(r: RecordIndex): boolean;
}

/** Defaults and checks a filter once, for either store. */
export function resolveFilter(f: ListFilter): ResolvedFilter {
  const status = statusMatcher(f.status);
  const namespace = f.namespace || (f.function || f.trigger ? DEFAULT_NAMESPACE : undefined);
  const sinceMs = f.sinceMs && f.sinceMs > 0 ? f.sinceMs : 0;
  const untilMs = f.untilMs && f.untilMs > 0 ? f.untilMs : Number.MAX_SAFE_INTEGER;
  if (f.limit !== undefined && f.limit < 0) throw invalid(`limit must be 0 or more, got ${f.limit}`);
  const limit = Math.min(f.limit || DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
  return {
    namespace,
    function: f.function || undefined,
    trigger: f.trigger || undefined,
    sinceMs,
    untilMs,
    limit,
    status,
    matches: (r) => {
      const ts = r.timestampMs;
      return (
        (!namespace || r.namespace === namespace) &&
        (!f.function || r.function === f.function) &&
        (!f.trigger || r.trigger === f.trigger) &&
        ts >= sinceMs &&
        ts <= untilMs &&
        status(r.status)
      );
    },
  };
}
