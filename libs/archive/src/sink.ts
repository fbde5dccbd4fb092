import { copyFile, mkdir, open, stat, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isFizzError } from "@fizz/common";
import { parentsOf, quote, resolveInside, safeRelativePath, tooLarge, unsafe } from "./paths.js";

export interface Limits {
  /** Total uncompressed bytes. */
  maxBytes: number;
  maxEntries: number;
}

// Permission bits we keep: rwx for owner/group/other, never setuid/setgid/sticky or
// group/world write. The owner can always write, so the tree can be removed later.
const fileMode = (mode: number) => (mode & 0o777 ? (mode & 0o755) | 0o600 : 0o644);
const dirMode = (mode: number) => (mode & 0o777 ? (mode & 0o755) | 0o700 : 0o755);

const MAX_LINK_TARGET = 4096;

/**
 * Writes archive entries under a fresh root, enforcing the limits and the path rules. Symlinks
 * are created last, after every file, so nothing is ever written through one; each is checked
 * against the archive's full set of symlinks before any is created.
 */
export class Sink {
  entries = 0;
  bytes = 0;
  private readonly files = new Set<string>();
  private readonly links = new Map<string, string>();
  private readonly madeDirs = new Set<string>([""]);

  constructor(
    private readonly root: string,
    readonly limits: Limits,
  ) {}

  /** Counts an entry; refuses the archive beyond maxEntries. */
  private count(): void {
    if (++this.entries > this.limits.maxEntries)
      throw tooLarge(`archive has more than ${this.limits.maxEntries} entries`);
  }

  /** Refuses before writing when the declared sizes alone exceed the limit. */
  checkDeclared(name: string, size: number): void {
    if (this.bytes + size > this.limits.maxBytes)
      throw tooLarge(`entry ${quote(name)} (${size} bytes) takes the archive beyond the ${this.limits.maxBytes}-byte limit`);
  }

  /** Normalizes a name and refuses paths that would go through one of the archive's symlinks. */
  private path(name: string): string {
    const rel = safeRelativePath(name);
    for (const p of [...parentsOf(rel), rel])
      if (this.links.has(p)) throw unsafe(`entry ${quote(name)} would be written through the symlink ${quote(p)}`);
    return rel;
  }

  private async mkdirs(rel: string, mode = 0o755): Promise<void> {
    if (this.madeDirs.has(rel)) return;
    await mkdir(join(this.root, rel), { recursive: true, mode });
    for (const p of [...parentsOf(rel), rel]) this.madeDirs.add(p);
  }

  async dir(name: string, mode: number): Promise<void> {
    this.count();
    const rel = this.path(name);
    await this.guard(name, () => this.mkdirs(rel, dirMode(mode)));
  }

  /** Writes a regular file from chunks, counting the bytes actually produced. */
  async file(name: string, mode: number, declaredSize: number, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
    this.count();
    const rel = this.path(name);
    if (rel === "") throw unsafe(`entry ${quote(name)} is a file with an empty path`);
    this.checkDeclared(name, declaredSize);
    await this.guard(name, async () => {
      await this.mkdirs(dirname(rel) === "." ? "" : dirname(rel));
      const fh = await open(join(this.root, rel), "w", fileMode(mode));
      try {
        for await (const c of chunks) {
          this.bytes += c.length;
          if (this.bytes > this.limits.maxBytes)
            throw tooLarge(`entry ${quote(name)} takes the archive beyond the ${this.limits.maxBytes}-byte limit`);
          await fh.write(c);
        }
      } finally {
        await fh.close();
      }
    });
    this.files.add(rel);
  }

  /** Records a symlink; it is checked and created in finish(). */
  symlink(name: string, target: string): void {
    this.count();
    const rel = this.path(name);
    const q = `symlink ${quote(name)} → ${quote(target)}`;
    if (rel === "") throw unsafe(`${q} replaces the destination itself`);
    if (!target || target.length > MAX_LINK_TARGET) throw unsafe(`${q} has an empty or oversized target`);
    if (target.startsWith("/") || /^[A-Za-z]:/.test(target) || target.includes("\\") || target.includes("\0"))
      throw unsafe(`${q} has an absolute target`);
    this.links.set(rel, target);
  }

  /** A tar hardlink: allowed only to a regular file extracted earlier, and copied. */
  async hardlink(name: string, target: string): Promise<void> {
    this.count();
    const rel = this.path(name);
    const q = `hardlink ${quote(name)} → ${quote(target)}`;
    let to: string;
    try {
      to = safeRelativePath(target, "hardlink target");
    } catch {
      throw unsafe(`${q} points outside the destination`);
    }
    if (!this.files.has(to)) throw unsafe(`${q} does not point to a regular file earlier in the archive`);
    await this.guard(name, async () => {
      const size = (await stat(join(this.root, to))).size;
      this.checkDeclared(name, size);
      this.bytes += size;
      await this.mkdirs(dirname(rel) === "." ? "" : dirname(rel));
      await copyFile(join(this.root, to), join(this.root, rel));
    });
    this.files.add(rel);
  }

  /** Checks every symlink against the complete set, then creates them. */
  async finish(): Promise<void> {
    for (const [rel, target] of this.links)
      if (resolveInside(rel, target, this.links) === undefined)
        throw unsafe(`symlink ${quote(rel)} → ${quote(target)} escapes the destination (or loops)`);
    for (const [rel, target] of this.links)
      await this.guard(rel, async () => {
        await this.mkdirs(dirname(rel) === "." ? "" : dirname(rel));
        await symlink(target, join(this.root, rel));
      });
  }

  /** Turns filesystem clashes (a file where a directory should be, …) into refusals naming the entry. */
  private async guard(name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (isFizzError(err)) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTDIR" || code === "EISDIR")
        throw unsafe(`entry ${quote(name)} conflicts with another entry (${code})`);
      throw err;
    }
  }
}
