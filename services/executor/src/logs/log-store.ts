// Runtime logs by function: `<dir>/<namespace>/<function>/`, plus `<dir>/_env/<namespace>/<env>/`
// for what warm (not yet specialized) instances print. Logs outlive instances and executor
// restarts; they go when their function or environment is deleted. Readers get what is on disk
// (filtered by time and count) and, when following, every line appended after.
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { silentLogger, type Logger } from "@fizz/common";
import { parseLines, type LogFilter, type LogRecord } from "./format.js";
import { InstanceOutput } from "./instance-output.js";
import { LogFile } from "./log-file.js";
import { note, type FunctionLogSource } from "./source.js";

/** DNS-1123 names cannot start with "_", so this never clashes with a namespace. */
const ENV_DIR = "_env";

/** Bytes a follower may fall behind before its oldest unsent output is dropped. */
const MAX_FOLLOWER_BACKLOG = 4 * 1024 * 1024;

export interface LogStoreOptions {
  /** $FIZZ_STATE_DIR/logs */
  dir: string;
  /** Disk budget of each function's (and environment's) log, rotated file included. */
  maxBytes: number;
}

const split = (key: string): [string, string] => {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
};

export class LogStore implements FunctionLogSource {
  private readonly files = new Map<string, LogFile>();
  private readonly outputs = new Map<string, InstanceOutput>();
  private closed = false;

  constructor(
    private readonly opts: LogStoreOptions,
    private readonly log: Logger = silentLogger,
  ) {}

  /** The output of a new generic instance of environment `envKey` (namespace/name). */
  instance(id: string, envKey: string): InstanceOutput {
    const file = this.file(this.envDir(envKey));
    file.attach();
    const out = new InstanceOutput(id, file, (last) => {
      this.outputs.delete(id);
      last.detach();
    });
    this.outputs.set(id, out);
    return out;
  }

  /** The instance now runs function `fnKey` (namespace/name): its next lines go to that log. */
  assign(instanceId: string, fnKey: string): void {
    this.outputs.get(instanceId)?.moveTo(this.file(this.fnDir(fnKey)));
  }

  /** The function's lines on disk now, oldest first. */
  async read(fnKey: string, filter: LogFilter = {}): Promise<LogRecord[]> {
    return parseLines(await this.file(this.fnDir(fnKey)).snapshot(), filter);
  }

  /** What an environment's warm instances printed, oldest first. */
  async readEnvironment(envKey: string, filter: LogFilter = {}): Promise<LogRecord[]> {
    return parseLines(await this.file(this.envDir(envKey)).snapshot(), filter);
  }

  /**
   * The function's lines on disk, then each new one as it is written, until `signal` aborts, the
   * function is deleted or the store closes.
   */
  async *follow(fnKey: string, filter: LogFilter, signal: AbortSignal): AsyncGenerator<LogRecord> {
    const file = this.file(this.fnDir(fnKey));
    const pending: Buffer[] = [];
    let backlog = 0;
    let dropped = 0;
    let ended = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const unfollow = file.follow({
      data(chunk) {
        if (backlog + chunk.length > MAX_FOLLOWER_BACKLOG) dropped += chunk.length;
        else {
          pending.push(chunk);
          backlog += chunk.length;
        }
        notify();
      },
      end() {
        ended = true;
        notify();
      },
    });
    // In the same tick as follow(): the snapshot holds exactly what came before it.
    const before = file.snapshot();
    signal.addEventListener("abort", notify);
    try {
      yield* parseLines(await before, filter);
      const since = { sinceMs: filter.sinceMs };
      for (;;) {
        if (signal.aborted || (ended && pending.length === 0)) return;
        if (pending.length === 0) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const chunks = pending.splice(0);
        backlog = 0;
        yield* parseLines(Buffer.concat(chunks), since);
        if (dropped > 0) {
          yield note(`${dropped} bytes of output skipped: this reader fell behind`);
          dropped = 0;
        }
      }
    } finally {
      unfollow();
      signal.removeEventListener("abort", notify);
    }
  }

  /** Followers of a function's log (for tests and diagnostics). */
  followers(fnKey: string): number {
    return this.files.get(this.fnDir(fnKey))?.followerCount ?? 0;
  }

  removeFunction(fnKey: string): Promise<void> {
    return this.remove(this.fnDir(fnKey));
  }

  removeEnvironment(envKey: string): Promise<void> {
    return this.remove(this.envDir(envKey));
  }

  /** Deletes the logs of functions and environments that no longer exist (e.g. deleted while the executor was down). */
  async prune(functions: ReadonlySet<string>, environments: ReadonlySet<string>): Promise<void> {
    const stale: string[] = [];
    const scan = async (base: string, keep: ReadonlySet<string>) => {
      for (const ns of await readdir(base).catch(() => [] as string[])) {
        if (base === this.opts.dir && ns === ENV_DIR) continue;
        for (const name of await readdir(join(base, ns)).catch(() => [] as string[]))
          if (!keep.has(`${ns}/${name}`)) stale.push(join(base, ns, name));
      }
    };
    await scan(this.opts.dir, functions);
    await scan(join(this.opts.dir, ENV_DIR), environments);
    await Promise.all(stale.map((d) => (this.files.has(d) ? this.remove(d) : rm(d, { recursive: true, force: true }))));
    if (stale.length) this.log.info({ removed: stale.length }, "removed logs of deleted functions and environments");
  }

  /** Ends every follower (so streams close before the server stops). */
  endFollowers(): void {
    for (const f of this.files.values()) f.endFollowers();
  }

  /** Writes out unfinished lines and everything queued; call after the instances stopped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const out of [...this.outputs.values()]) out.close();
    this.endFollowers();
    await Promise.all([...this.files.values()].map((f) => f.flush()));
  }

  private file(dir: string): LogFile {
    let f = this.files.get(dir);
    if (!f) {
      f = new LogFile(dir, this.opts.maxBytes, this.log);
      // Not while closing: a late reader must not keep a file open.
      if (!this.closed) this.files.set(dir, f);
    }
    return f;
  }

  private async remove(dir: string): Promise<void> {
    const f = this.files.get(dir);
    this.files.delete(dir);
    if (f) await f.remove();
    else await rm(dir, { recursive: true, force: true });
  }

  private fnDir(fnKey: string): string {
    const [ns, name] = split(fnKey);
    return join(this.opts.dir, ns, name);
  }

  private envDir(envKey: string): string {
    const [ns, name] = split(envKey);
    return join(this.opts.dir, ENV_DIR, ns, name);
  }
}
