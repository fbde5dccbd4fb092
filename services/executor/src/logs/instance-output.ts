// Splits one runtime instance's stdout/stderr into lines and appends them, stamped, to the log
// its output currently belongs to (its environment's while warm, its function's once specialized).
// Per chunk the runtime writes: one timestamp, one buffer, one append; no decoding.
import { NEWLINE, streamTags, timestamp } from "./format.js";
import type { LogFile } from "./log-file.js";

/** Longer lines are cut: a runtime printing without newlines must not grow memory without end. */
export const MAX_LINE_BYTES = 32 * 1024;

export const STDOUT = 0;
export const STDERR = 1;
type Stream = typeof STDOUT | typeof STDERR;

export class InstanceOutput {
  private readonly tags: [Buffer, Buffer];
  /** An unfinished last line per stream. */
  private readonly partial: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];
  private closed = false;

  constructor(
    readonly instanceId: string,
    private target: LogFile,
    /** Called once by close(), with the log it ended on. */
    private readonly onClose: (last: LogFile) => void,
  ) {
    this.tags = streamTags(instanceId);
  }

  get log(): LogFile {
    return this.target;
  }

  write(stream: Stream, chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    // Count the lines first, so one buffer of the right size takes them all: no per-line objects.
    let lines = 0;
    let end = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, nl + 1)) {
      lines++;
      end = nl + 1;
    }
    const p = this.partial[stream];
    if (lines > 0) {
      const ts = timestamp();
      const tag = this.tags[stream];
      const out = Buffer.allocUnsafe(lines * (ts.length + tag.length) + (p?.length ?? 0) + end);
      let pos = 0;
      for (let start = 0; start < end; ) {
        const nl = chunk.indexOf(10, start);
        pos += ts.copy(out, pos);
        pos += tag.copy(out, pos);
        if (start === 0 && p) pos += p.copy(out, pos);
        pos += chunk.copy(out, pos, start, nl + 1);
        start = nl + 1;
      }
      this.partial[stream] = undefined;
      this.target.append(out);
    }
    if (end < chunk.length) {
      const rest = chunk.subarray(end);
      const held = lines === 0 ? p : undefined;
      // Copied, so a short unfinished line does not pin the pipe's whole chunk.
      const line = held ? Buffer.concat([held, rest]) : Buffer.from(rest);
      if (line.length >= MAX_LINE_BYTES) {
        this.partial[stream] = undefined;
        const ts = timestamp();
        this.target.append(Buffer.concat([ts, this.tags[stream], line, NEWLINE]));
      } else {
        this.partial[stream] = line;
      }
    }
  }

  /** From now on lines go to `log` (an unfinished line goes with them). */
  moveTo(log: LogFile): void {
    if (this.closed || log === this.target) return;
    const old = this.target;
    log.attach();
    this.target = log;
    old.detach();
  }

  /** The instance exited: its unfinished lines are written as they are. */
  close(): void {
    if (this.closed) return;
    for (const s of [STDOUT, STDERR] as const) if (this.partial[s]) this.write(s, NEWLINE);
    this.closed = true;
    this.onClose(this.target);
  }
}
