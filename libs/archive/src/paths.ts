import { FizzError } from "@fizz/common";

// Stable reasons on INVALID_ARGUMENT, so callers (executor, builder, CLI) can tell a hostile or
// oversized archive from a merely broken one.
export const UNSAFE_ARCHIVE = "UNSAFE_ARCHIVE";
export const ARCHIVE_TOO_LARGE = "ARCHIVE_TOO_LARGE";
export const MALFORMED_ARCHIVE = "MALFORMED_ARCHIVE";

/** Quotes an entry name for messages, escaping control characters so logs stay one line. */
export const quote = (name: string) => JSON.stringify(name);

export const unsafe = (msg: string) => new FizzError("INVALID_ARGUMENT", `unsafe archive: ${msg}`, UNSAFE_ARCHIVE);
export const tooLarge = (msg: string) => new FizzError("INVALID_ARGUMENT", msg, ARCHIVE_TOO_LARGE);
export const malformed = (format: string, msg: string) =>
  new FizzError("INVALID_ARGUMENT", `malformed ${format} archive: ${msg}`, MALFORMED_ARCHIVE);

/**
 * Normalizes an entry name to a relative POSIX path inside the destination ("" is the root
 * itself). Refuses anything that could land outside it: "..", absolute paths, Windows drive
 * letters and backslashes (which some extractors treat as separators), NUL bytes.
 */
export function safeRelativePath(name: string, what = "entry"): string {
  const q = `${what} ${quote(name)}`;
  if (name.includes("\0")) throw unsafe(`${q} has a NUL byte in its name`);
  if (name.includes("\\")) throw unsafe(`${q} contains a backslash`);
  if (/^[A-Za-z]:/.test(name)) throw unsafe(`${q} has a drive letter (absolute Windows path)`);
  if (name.startsWith("/")) throw unsafe(`${q} is an absolute path`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw unsafe(`${q} escapes the destination with ".."`);
  return parts.join("/");
}

/** Every proper prefix of a relative path: "a/b/c" → ["a", "a/b"]. */
export function parentsOf(rel: string): string[] {
  const parts = rel.split("/");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

const MAX_HOPS = 40; // as the kernel's ELOOP limit

/**
 * Resolves where a symlink at `linkPath` (relative to the root) would point, following the
 * archive's own symlinks (the only ones in a fresh destination) the way the kernel would.
 * A purely lexical check is not enough: with "d" → "." the target "d/.." leaves the root.
 * Returns the resolved relative path, or undefined when it leaves the root or loops.
 */
export function resolveInside(linkPath: string, target: string, links: ReadonlyMap<string, string>): string | undefined {
  const stack = linkPath.split("/").slice(0, -1);
  const queue = target.split("/");
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (stack.length === 0) return undefined;
      stack.pop();
      continue;
    }
    stack.push(c);
    const next = links.get(stack.join("/"));
    if (next === undefined) continue;
    if (++hops > MAX_HOPS || next.startsWith("/")) return undefined;
    stack.pop();
    queue.unshift(...next.split("/"));
  }
  return stack.join("/");
}
