// Where FunctionLogs reads a function's runtime output: the LogStore (local processes write into
// it) or the pods' logs on Kubernetes (pod-log-source.ts). The RPC and the CLI are the same.
import type { LogFilter, LogRecord } from "./format.js";

export interface FunctionLogSource {
  /** The function's kept lines, oldest first. */
  read(fnKey: string, filter?: LogFilter): Promise<LogRecord[]>;
  /** Kept lines, then new ones as they are written, until `signal` aborts, the function is deleted or the source closes. */
  follow(fnKey: string, filter: LogFilter, signal: AbortSignal): AsyncIterable<LogRecord>;
  /** The function was deleted: its followers end (and what is kept of it goes). */
  removeFunction(fnKey: string): Promise<void>;
  /** Ends every follower (so streams close before the server stops). */
  endFollowers(): void;
}

/** Lines the executor adds (a note, not runtime output) carry this instance id. */
export const NOTE_INSTANCE = "fizz";

export const note = (text: string): LogRecord => ({ timeMs: Date.now(), instanceId: NOTE_INSTANCE, stream: "stderr", text: `[fizz] ${text}` });
