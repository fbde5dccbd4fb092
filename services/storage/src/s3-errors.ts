// What the minio client throws, as FizzErrors with stable codes: a missing object is NOT_FOUND,
// an endpoint that cannot be reached is UNAVAILABLE naming it, refused credentials PERMISSION_DENIED.
import { FizzError, notFound } from "@fizz/common";

const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);
const STALE_CONNECTION = new Set(["ECONNRESET", "EPIPE"]);
const DENIED = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"]);
const MISSING = new Set(["NotFound", "NoSuchKey"]);

export const s3Code = (err: unknown): string | undefined => (err as { code?: unknown } | null)?.code as string | undefined;

export class S3Errors {
  constructor(
    /** The endpoint's origin, e.g. http://127.0.0.1:9000. */
    readonly endpoint: string,
    readonly bucket: string,
  ) {}

  /**
   * Runs an S3 call for `what`; with an archive id, a missing object is NOT_FOUND for it. Every
   * call the backend makes sends a buffer or nothing, so it is safe to resend once when a reused
   * keep-alive connection turns out to have been closed by the server.
   */
  wrap(what: string, id?: string) {
    return async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (first) {
        if (!STALE_CONNECTION.has(s3Code(first) ?? "")) throw this.toFizz(first, what, id);
        try {
          return await fn();
        } catch (err) {
          throw this.toFizz(err, what, id);
        }
      }
    };
  }

  toFizz(err: unknown, what: string, id?: string): FizzError {
    if (err instanceof FizzError) return err;
    const code = s3Code(err) ?? "";
    const msg = err instanceof Error ? err.message : String(err);
    if (id !== undefined && MISSING.has(code)) return notFound(`archive ${id} not found`, "ARCHIVE_NOT_FOUND");
    if (NETWORK.has(code))
      return new FizzError("UNAVAILABLE", `S3 endpoint ${this.endpoint} is unreachable (${code}) during ${what}`, "S3_UNREACHABLE");
    if (code === "NoSuchBucket")
      return new FizzError("UNAVAILABLE", `bucket ${this.bucket} does not exist at ${this.endpoint}`, "S3_NO_BUCKET");
    if (DENIED.has(code)) return new FizzError("PERMISSION_DENIED", `S3 endpoint ${this.endpoint} refused ${what}: ${msg}`, "S3_DENIED");
    return new FizzError("INTERNAL", `S3 ${what} failed at ${this.endpoint}: ${code ? `${code}: ` : ""}${msg}`);
  }
}
