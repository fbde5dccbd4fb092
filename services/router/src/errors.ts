import { isFizzError, type ErrorCode } from "@fizz/common";
import type { ProxyResponse } from "./exchange.js";

/**
 * Writes `{"error": ..., "code": ..., "reason"?: ...}` unless the response already started;
 * `requestId` becomes X-Fizz-Request-Id; `reason` is the stable finer code (PACKAGE_NOT_BUILT…).
 */
export function sendError(
  res: ProxyResponse,
  status: number,
  code: ErrorCode | string,
  message: string,
  extra?: Record<string, string>,
  requestId?: string,
  reason?: string,
): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const body = JSON.stringify(reason ? { error: message, code, reason } : { error: message, code });
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...extra,
    ...(requestId === undefined ? undefined : { "x-fizz-request-id": requestId }),
  });
  res.end(body);
}

/** HTTP answer for an executor failure (GetServiceForFunction). */
export function sendExecutorError(res: ProxyResponse, err: unknown, id?: string): void {
  if (!isFizzError(err)) {
    sendError(res, 500, "INTERNAL", err instanceof Error ? err.message : String(err), undefined, id);
    return;
  }
  switch (err.code) {
    case "NOT_FOUND":
      return sendError(res, 404, err.code, err.message, undefined, id);
    case "RESOURCE_EXHAUSTED":
      return sendError(res, 429, err.code, err.message, { "retry-after": "1" }, id);
    case "FAILED_PRECONDITION":
      return sendError(res, 503, err.code, err.message, undefined, id, err.reason);
    case "UNAVAILABLE":
      // The client's own "cannot reach" (no reason from the server) means the executor is down.
      return sendError(res, 503, err.code, err.reason === "UNREACHABLE" ? "executor unavailable" : err.message, undefined, id);
    case "DEADLINE_EXCEEDED":
      return sendError(res, 504, err.code, err.message, undefined, id);
    default:
      return sendError(res, err.httpStatus, err.code, err.message, undefined, id);
  }
}
