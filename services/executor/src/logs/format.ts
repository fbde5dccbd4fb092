// The on-disk form of a log line: `<RFC 3339 time> <instance id> <out|err> <text>\n`, readable
// with `tail -f` and cheap to write: the executor prepends a shared time and a per-instance tag to
// the bytes the runtime wrote, without decoding them.

export type LogStream = "stdout" | "stderr";

/** One line of a function's (or environment's) runtime output. */
export interface LogRecord {
  timeMs: number;
  instanceId: string;
  stream: LogStream;
  text: string;
}

export const NEWLINE = Buffer.from("\n");

/** ` <instance> out ` / ` <instance> err `: built once per instance. */
export function streamTags(instanceId: string): [Buffer, Buffer] {
  return [Buffer.from(` ${instanceId} out `), Buffer.from(` ${instanceId} err `)];
}

let lastMs = -1;
let lastStamp = Buffer.alloc(0);

/** The current time as an ISO string; chatty runtimes write many chunks per millisecond. */
export function timestamp(now = Date.now()): Buffer {
  if (now !== lastMs) {
    lastMs = now;
    lastStamp = Buffer.from(new Date(now).toISOString(), "latin1");
  }
  return lastStamp;
}

/** Encodes one line for tests and the executor's own notes. */
export function formatLine(r: LogRecord): Buffer {
  return Buffer.from(`${new Date(r.timeMs).toISOString()} ${r.instanceId} ${r.stream === "stderr" ? "err" : "out"} ${r.text}\n`);
}

/** Which lines to keep. */
export interface LogFilter {
  /** Lines at or after this time (ms since the epoch); 0: all. */
  sinceMs?: number;
  /** The last `tail` lines (after `sinceMs`); 0: all. */
  tail?: number;
}

/**
 * Parses whole lines from `data` (a partial last line is ignored). Lines that do not parse
 * (a file cut by a crash mid-write) are skipped rather than failing the read.
 */
export function parseLines(data: Buffer, filter: LogFilter = {}): LogRecord[] {
  const since = filter.sinceMs ?? 0;
  const out: LogRecord[] = [];
  const text = data.toString("utf8");
  let start = 0;
  for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
    const r = parseLine(text, start, nl);
    start = nl + 1;
    if (r && r.timeMs >= since) out.push(r);
  }
  const tail = filter.tail ?? 0;
  return tail > 0 && out.length > tail ? out.slice(-tail) : out;
}

function parseLine(s: string, start: number, end: number): LogRecord | undefined {
  const a = s.indexOf(" ", start);
  const b = a < 0 || a > end ? -1 : s.indexOf(" ", a + 1);
  if (b < 0 || b + 4 > end || s[b + 4] !== " ") return undefined;
  const timeMs = Date.parse(s.slice(start, a));
  const tag = s.slice(b + 1, b + 4);
  if (Number.isNaN(timeMs) || (tag !== "out" && tag !== "err")) return undefined;
  let stop = end;
  if (s.charCodeAt(stop - 1) === 13) stop--; // CRLF from the runtime
  return { timeMs, instanceId: s.slice(a + 1, b), stream: tag === "err" ? "stderr" : "stdout", text: s.slice(b + 5, stop) };
}
