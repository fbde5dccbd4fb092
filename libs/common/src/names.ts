import { invalid } from "./errors.js";

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes/Fission resource names: DNS-1123 labels, at most 63 characters. */
export function checkName(name: string, what = "name"): void {
  if (!name) throw invalid(`${what} is required`);
  if (name.length > 63) throw invalid(`${what} "${name}" is longer than 63 characters`);
  if (!DNS1123.test(name))
    throw invalid(
      `${what} "${name}" is not a valid DNS-1123 name: use lower-case letters, digits and '-', starting and ending with a letter or digit`,
    );
}

export const DEFAULT_NAMESPACE = "default";
