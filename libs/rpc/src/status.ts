import { Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { FizzError, toFizzError } from "@fizz/common";

const REASON_KEY = "fizz-reason";

/** A thrown error as the grpc-js error object a handler callback expects. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const fe = toFizzError(err);
  const metadata = new Metadata();
  if (fe.reason) metadata.set(REASON_KEY, fe.reason);
  return { code: fe.grpcStatus, details: fe.message, message: fe.message, metadata };
}

/** A grpc-js client error as a FizzError, keeping the server's message and reason. */
export function fromServiceError(err: ServiceError, target: string): FizzError {
  if (err.code === GrpcStatus.UNAVAILABLE && !err.metadata?.get(REASON_KEY).length) {
    return new FizzError("UNAVAILABLE", `cannot reach ${target}: ${err.details || err.message}`, "UNREACHABLE");
  }
  if (err.code === GrpcStatus.DEADLINE_EXCEEDED && !err.metadata?.get(REASON_KEY).length) {
    return new FizzError("DEADLINE_EXCEEDED", `${target} did not answer in time`, "DEADLINE");
  }
  const reason = err.metadata?.get(REASON_KEY)[0];
  return FizzError.fromGrpcStatus(err.code, err.details || err.message, reason ? String(reason) : undefined);
}
