// Every failure ends as one clear line on stderr and a non-zero exit: FizzErrors keep the
// controller's own message; an unreachable service gets a hint on how to start the platform.
import { FizzError } from "@fizz/common/errors";

/** The stable code of a FizzError, also when it comes from another copy of @fizz/common. */
export function codeOf(err: unknown): string | undefined {
  if (err instanceof FizzError) return err.code;
  if (err && typeof err === "object" && (err as { name?: unknown }).name === "FizzError") return String((err as { code?: unknown }).code);
  return undefined;
}

const SERVICE_HINTS: Record<string, { what: string; env: string }> = {
  AdminService: { what: "the admin API", env: "FIZZ_ADMIN" },
  StorageService: { what: "the storage service", env: "FIZZ_STORAGE" },
  ExecutorService: { what: "the executor", env: "FIZZ_EXECUTOR" },
};

/** The line (without the "fizz: " prefix) that describes an error to a person. */
export function describeError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (codeOf(err) === "UNAVAILABLE") {
    // libs/rpc says "cannot reach <Service> at <host:port>: <details>"
    const m = /cannot reach (\w+) at (\S+?):? /.exec(`${msg} `);
    const hint = m && SERVICE_HINTS[m[1]!];
    if (m && hint)
      return `cannot reach ${hint.what} at ${m[2]} (is the platform running? start it with 'pnpm start' or set ${hint.env})`;
  }
  return msg.split("\n")[0] ?? msg;
}

/** Prints the error and marks the process as failed (exit code 1). */
export function reportError(err: unknown): void {
  process.stderr.write(`fizz: ${describeError(err)}\n`);
  if (process.env.FIZZ_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
}

/** A usage mistake caught before anything is sent. */
export const usage = (msg: string) => new FizzError("INVALID_ARGUMENT", msg);
