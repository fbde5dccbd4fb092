import type { z } from "zod";
import { invalid } from "./errors.js";

/**
 * Parses a service's configuration from environment variables with its zod schema, so every
 * service fails at start with one message listing every bad setting.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  source: Record<string, unknown>,
  service: string,
): z.infer<S> {
  const r = schema.safeParse(source);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
  throw invalid(`invalid ${service} configuration:\n${lines.join("\n")}`);
}
