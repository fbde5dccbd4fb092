// Invocations on disk: one `<id>.json` per invocation (its state, rewritten atomically on every
// change) and one `<id>.body` (the request body, written once, removed when it finishes).
// One file each rather than an append-only log: a state change rewrites a few hundred bytes, a
// body of up to FIZZ_ROUTER_MAX_BODY_BYTES is written exactly once, retention is an unlink, and
// there is no compaction to get wrong.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { isTempFile, writeFileAtomic, type Logger } from "@fizz/common";
import type { Invocation } from "./invocation.js";
import { ID } from "./queue.js";

export class InvocationStore {
  private made: Promise<unknown> | undefined;

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** Every stored invocation, oldest first. Leftover temp files and orphaned bodies are removed. */
  async load(): Promise<Invocation[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: Invocation[] = [];
    const ids = new Set<string>();
    for (const name of names) {
      if (isTempFile(name)) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(".json")) continue;
      try {
        const inv = JSON.parse(await readFile(join(this.dir, name), "utf8")) as Invocation;
        if (typeof inv.invocationId !== "string" || !Array.isArray(inv.attempts)) throw new Error("not an invocation");
        out.push(inv);
        ids.add(inv.invocationId);
      } catch (err) {
        // Writes are atomic, so this is a foreign file: leave it for a person to look at.
        this.log.warn({ file: name, err: (err as Error).message }, "skipping unreadable invocation file");
      }
    }
    // A body without its state: the router stopped between the two writes, before answering 202.
    for (const name of names) if (name.endsWith(".body") && !ids.has(name.slice(0, -5))) await rm(join(this.dir, name), { force: true });
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async save(inv: Invocation): Promise<void> {
    await this.ensureDir();
    await writeFileAtomic(this.path(inv.invocationId, "json"), JSON.stringify(inv));
  }

  async saveBody(id: string, body: Buffer): Promise<void> {
    await this.ensureDir();
    await writeFileAtomic(this.path(id, "body"), body);
  }

  async body(inv: Invocation): Promise<Buffer> {
    return inv.bodyBytes === 0 ? Buffer.alloc(0) : readFile(this.path(inv.invocationId, "body"));
  }

  /** The stored state, or undefined when there is none. */
  async get(id: string): Promise<Invocation | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.path(id, "json"), "utf8")) as Invocation;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** The request body is only needed until the invocation finishes. */
  async dropBody(id: string): Promise<void> {
    await rm(this.path(id, "body"), { force: true });
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id, "body"), { force: true });
    await rm(this.path(id, "json"), { force: true });
  }

  private path(id: string, ext: "json" | "body"): string {
    return join(this.dir, `${id}.${ext}`);
  }

  private ensureDir(): Promise<unknown> {
    // Created on first use, so a router that never sees an async request leaves no trace.
    this.made ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      this.made = undefined;
      throw err;
    });
    return this.made;
  }
}
