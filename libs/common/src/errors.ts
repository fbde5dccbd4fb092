// One error type for the whole platform. `code` is stable (clients branch on it) and maps to a
// gRPC status at the RPC boundary and to an HTTP status at the router/CLI boundary.

export const ERROR_CODES = {
  INVALID_ARGUMENT: { grpc: 3, http: 400 },
  DEADLINE_EXCEEDED: { grpc: 4, http: 504 },
  NOT_FOUND: { grpc: 5, http: 404 },
  ALREADY_EXISTS: { grpc: 6, http: 409 },
  PERMISSION_DENIED: { grpc: 7, http: 403 },
  RESOURCE_EXHAUSTED: { grpc: 8, http: 429 },
  FAILED_PRECONDITION: { grpc: 9, http: 412 },
  ABORTED: { grpc: 10, http: 409 },
  OUT_OF_RANGE: { grpc: 11, http: 410 },
  UNIMPLEMENTED: { grpc: 12, http: 501 },
  INTERNAL: { grpc: 13, http: 500 },
  UNAVAILABLE: { grpc: 14, http: 503 },
  DATA_LOSS: { grpc: 15, http: 500 },
  CANCELLED: { grpc: 1, http: 499 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const BY_GRPC = new Map<number, ErrorCode>(
  Object.entries(ERROR_CODES).map(([k, v]) => [v.grpc, k as ErrorCode]),
);

export class FizzError extends Error {
  override readonly name = "FizzError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Finer, stable reason for machines, e.g. "CONFLICT", "PACKAGE_NOT_BUILT". */
    readonly reason?: string,
  ) {
    super(message);
  }

  get grpcStatus(): number {
    return ERROR_CODES[this.code].grpc;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  static fromGrpcStatus(status: number, message: string, reason?: string): FizzError {
    return new FizzError(BY_GRPC.get(status) ?? "INTERNAL", message, reason);
  }
}

export const invalid = (msg: string, reason?: string) => new FizzError("INVALID_ARGUMENT", msg, reason);
export const notFound = (msg: string, reason?: string) => new FizzError("NOT_FOUND", msg, reason);
export const alreadyExists = (msg: string) => new FizzError("ALREADY_EXISTS", msg);
export const precondition = (msg: string, reason?: string) => new FizzError("FAILED_PRECONDITION", msg, reason);
export const unavailable = (msg: string, reason?: string) => new FizzError("UNAVAILABLE", msg, reason);

export function isFizzError(err: unknown, code?: ErrorCode): err is FizzError {
  return err instanceof FizzError && (code === undefined || err.code === code);
}

/** A FizzError for anything thrown; unknown errors become INTERNAL with their message. */
export function toFizzError(err: unknown): FizzError {
  if (err instanceof FizzError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new FizzError("INTERNAL", msg);
}
