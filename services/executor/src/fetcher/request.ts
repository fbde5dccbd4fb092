// The body of POST /specialize (and of FIZZ_SPECIALIZE_ON_STARTUP): which package to unpack and
// which function the runtime loads from it.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { z } from "zod";
import { invalid } from "@fizz/common";
import { PackageSchema, type Package } from "@fizz/proto";

export const specializeRequestSchema = z.object({
  /** The Package resource as proto JSON (toJson(PackageSchema, pkg)). */
  package: z.record(z.string(), z.unknown()),
  /** Function spec.package.functionName; "" (the default) lets the runtime pick its default export. */
  functionName: z.string().default(""),
  /** Interface v1 runtime: the code goes to <userfunc>/user and /specialize gets no body. */
  v1: z.boolean().default(false),
  timeoutMs: z.number().int().min(1).default(60_000),
});

export type SpecializeBody = z.infer<typeof specializeRequestSchema>;

export interface SpecializeRequest {
  pkg: Package;
  functionName: string;
  v1: boolean;
  timeoutMs: number;
}

/** Validates a request body; anything wrong is INVALID_ARGUMENT naming the field. */
export function parseSpecializeRequest(value: unknown): SpecializeRequest {
  const r = specializeRequestSchema.safeParse(value);
  if (!r.success) throw invalid(`bad specialize request: ${r.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ")}`);
  return toRequest(r.data);
}

export function toRequest(b: SpecializeBody): SpecializeRequest {
  let pkg: Package;
  try {
    pkg = fromJson(PackageSchema, b.package as JsonValue, { ignoreUnknownFields: true });
  } catch (err) {
    throw invalid(`bad specialize request: package is not a Package resource: ${(err as Error).message}`);
  }
  return { pkg, functionName: b.functionName, v1: b.v1, timeoutMs: b.timeoutMs };
}
