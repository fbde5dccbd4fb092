// An async invocation as stored on disk and shown by /fizz-invocations: plain JSON, no classes,
// so a file written by one router version reads back in the next.

export const INVOKE_MODE_HEADER = "x-fizz-invoke-mode";
/** Sent to the function on every attempt, so it can deduplicate retried work. */
export const INVOCATION_ID_HEADER = "x-fizz-invocation-id";
export const INVOCATION_ATTEMPT_HEADER = "x-fizz-invocation-attempt";

/** queued (waiting for a worker or for its next attempt) → running → succeeded | failed. */
export type InvocationStatus = "queued" | "running" | "succeeded" | "failed";

export interface Attempt {
  attempt: number;
  /** X-Fizz-Request-Id of this attempt: "<invocation id>.<attempt>". */
  requestId: string;
  startedAt: string;
  finishedAt?: string;
  statusCode?: number;
  error?: string;
  /** The router stopped during this attempt; it does not count against the attempt limit. */
  interrupted?: boolean;
}

/** The last response: status, headers and the first `resultBytes` of the body. */
export interface InvocationResult {
  statusCode: number;
  headers: Record<string, string>;
  /** UTF-8 text, or base64 when the bytes are not text (bodyEncoding). */
  body: string;
  bodyEncoding: "utf8" | "base64";
  truncated: boolean;
}

export interface Invocation {
  invocationId: string;
  status: InvocationStatus;
  /** The function the route chose, existing or not ("" when no route matched). */
  function: string;
  namespace: string;
  method: string;
  url: string;
  /** Request headers as forwarded (stored, never shown: they may carry credentials). */
  headers: Record<string, string | string[]>;
  bodyBytes: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  nextAttemptAt?: string;
  attempts: Attempt[];
  result?: InvocationResult;
  /** Why the last attempt failed. */
  error?: string;
}

/** What /fizz-invocations/<id> shows. */
export type InvocationView = Omit<Invocation, "headers" | "attempts"> & { attempts: number; history: Attempt[] };

/** One row of /fizz-invocations: no bodies, so lists stay small. */
export type InvocationSummary = Pick<Invocation, "invocationId" | "status" | "function" | "namespace" | "method" | "url" | "createdAt" | "finishedAt" | "error"> & {
  attempts: number;
  statusCode?: number;
};

export const isFinished = (s: InvocationStatus) => s === "succeeded" || s === "failed";

/** Attempts that count against the limit (interrupted ones do not). */
export const countedAttempts = (inv: Invocation) => inv.attempts.filter((a) => !a.interrupted).length;

export function viewOf(inv: Invocation): InvocationView {
  const { headers: _headers, attempts, ...rest } = inv;
  return { ...rest, attempts: countedAttempts(inv), history: attempts };
}

export function summaryOf(inv: Invocation): InvocationSummary {
  return {
    invocationId: inv.invocationId,
    status: inv.status,
    function: inv.function,
    namespace: inv.namespace,
    method: inv.method,
    url: inv.url,
    createdAt: inv.createdAt,
    finishedAt: inv.finishedAt,
    attempts: countedAttempts(inv),
    statusCode: inv.result?.statusCode,
    error: inv.error,
  };
}
