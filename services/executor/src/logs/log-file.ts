// One bounded, rotating log on disk: `runtime.log` and, once it reaches half the budget, the
// previous one as `runtime.log.1` (which the next rotation replaces), so a log never takes more
// than its budget (plus at most one chunk). Appends are queued and written by one async pump with
// writev, so a chatty runtime costs no synchronous fs call and batches naturally while a write is
// in flight. Snapshots go through the same queue, so a reader sees exactly what was appended
// before it subscribed, and live followers see everything after.
import { mkdir, open, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@fizz/common";

export const CURRENT = "runtime.log";
export const ROTATED = "runtime.log.1";

/** Past this much unwritten output (a disk that cannot keep up), new output is dropped and counted. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

interface Snapshot {
  resolve(data: Buffer): void;
}

export interface Follower {
  /** Every appended chunk (whole encoded lines), synchronously. */
  data(chunk: Buffer): void;
  /** The log went away (function deleted, executor stopping). */
  end(): void;
}

export class LogFile {
  private readonly queue: Array<Buffer | Snapshot> = [];
  private queuedBytes = 0;
  private dropped = 0;
  private fd?: FileHandle;
  /** Size of runtime.log on disk while fd is open. */
  private fileBytes = 0;
  private pumping?: Promise<void>;
  private readonly followers = new Set<Follower>();
  /** Instances writing here; the file is closed when none are. */
  private writers = 0;
  private removed = false;
  private lastError = 0;

  constructor(
    readonly dir: string,
    /** Budget for both files together. */
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  get writerCount(): number {
    return this.writers;
  }

  get followerCount(): number {
    return this.followers.size;
  }

  attach(): void {
    this.writers++;
  }

  detach(): void {
    if (--this.writers === 0) this.kick();
  }

  append(chunk: Buffer): void {
    if (this.removed) return;
    if (this.queuedBytes + chunk.length > MAX_QUEUED_BYTES) {
      this.dropped += chunk.length;
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    for (const f of this.followers) f.data(chunk);
    this.kick();
  }

  /** Registers a follower; call snapshot() in the same tick to read what came before. */
  follow(f: Follower): () => void {
    if (this.removed) {
      f.end();
      return () => {};
    }
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  /** Everything appended before this call (both files), once it is on disk. */
  snapshot(): Promise<Buffer> {
    if (this.removed) return Promise.resolve(Buffer.alloc(0));
    return new Promise((resolve) => {
      this.queue.push({ resolve });
      this.kick();
    });
  }

  /** Resolves when everything appended so far is written (and the file closed if unused). */
  async flush(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /**
   * The function (or environment) is gone: followers end, its files are deleted, and what its
   * draining instances still print is dropped. Final: a re-created function gets a new LogFile.
   */
  async remove(): Promise<void> {
    this.removed = true;
    this.endFollowers();
    for (const q of this.queue.splice(0)) if (!Buffer.isBuffer(q)) q.resolve(Buffer.alloc(0));
    this.queuedBytes = 0;
    await this.flush();
    await this.closeFile();
    await rm(this.dir, { recursive: true, force: true });
  }

  endFollowers(): void {
    for (const f of [...this.followers]) f.end();
    this.followers.clear();
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // Queued while the pump was finishing (e.g. closing the file): it saw no work, so start again,
      // or a snapshot would wait forever.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) break;
      if (!Buffer.isBuffer(head)) {
        this.queue.shift();
        head.resolve(await this.read());
        continue;
      }
      await this.writeBatch();
    }
    if (this.dropped > 0 && !this.removed) {
      const note = `${new Date().toISOString()} fizz err [fizz] ${this.dropped} bytes of output dropped: the log could not be written fast enough\n`;
      this.dropped = 0;
      this.append(Buffer.from(note));
      return this.pump();
    }
    if (this.writers === 0 && this.fd) await this.closeFile();
  }

  /** Writes the queued chunks that fit in the current file, rotating first when none fit. */
  private async writeBatch(): Promise<void> {
    try {
      if (!this.fd) await this.openFile();
      const room = Math.max(0, Math.floor(this.maxBytes / 2) - this.fileBytes);
      const batch: Buffer[] = [];
      let bytes = 0;
      for (const b of this.queue) {
        if (!Buffer.isBuffer(b)) break;
        // An empty file takes one chunk even when it is larger than the room.
        if (bytes + b.length > room && !(batch.length === 0 && this.fileBytes === 0)) break;
        batch.push(b);
        bytes += b.length;
      }
      if (batch.length === 0) return await this.rotate();
      this.queue.splice(0, batch.length);
      this.queuedBytes -= bytes;
      this.fileBytes += bytes;
      await this.fd!.writev(batch);
    } catch (err) {
      this.failed(err);
    }
  }

  private async openFile(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.fd = await open(join(this.dir, CURRENT), "a");
    this.fileBytes = (await this.fd.stat()).size;
  }

  private async closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    await fd?.close().catch(() => {});
  }

  private async rotate(): Promise<void> {
    await this.closeFile();
    await rename(join(this.dir, CURRENT), join(this.dir, ROTATED));
  }

  private async read(): Promise<Buffer> {
    const files = await Promise.all([ROTATED, CURRENT].map((f) => readFile(join(this.dir, f)).catch(() => Buffer.alloc(0))));
    return Buffer.concat(files);
  }

  /** A write failed (disk full, directory removed): drop what was queued, say so now and then. */
  private failed(err: unknown): void {
    const lost = this.queue.filter(Buffer.isBuffer);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((q) => !Buffer.isBuffer(q)));
    this.queuedBytes = 0;
    void this.closeFile();
    if (Date.now() - this.lastError > 60_000) {
      this.lastError = Date.now();
      this.log.warn({ dir: this.dir, err: (err as Error).message, droppedChunks: lost.length }, "could not write runtime log");
    }
  }
}
