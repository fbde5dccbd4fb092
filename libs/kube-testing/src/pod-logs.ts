// The pods/log subresource (GET /api/v1/namespaces/<ns>/pods/<name>/log), answered from what a
// log provider (FakeCluster's kubelet) kept of a container's output: `container`, `timestamps`
// (RFC3339Nano with 9 fixed digits, as the kubelet writes them), `sinceSeconds`, `tailLines` and
// `follow` (the response stays open and streams new lines until the pod is gone or the client
// disconnects). stdout and stderr are merged, each line stamped with when its first bytes arrived.
import type { ServerResponse } from "node:http";
import { KubeError } from "./objects.js";

export type LogStreamName = "stdout" | "stderr";

/** Bytes a container wrote to one stream, and when they were read. */
export interface LogChunk {
  atMs: number;
  stream: LogStreamName;
  text: string;
}

/** What a provider has of one container: the kept chunks, new ones as they come, and the end. */
export interface PodLogFeed {
  chunks: readonly LogChunk[];
  subscribe(listener: (c: LogChunk) => void): () => void;
  /** Resolves once the pod's processes are gone (a follow ends then). */
  gone: Promise<void>;
}

/** Throws a KubeError (404 no pod, 400 bad or missing container) when there is nothing to read. */
export type PodLogProvider = (namespace: string, pod: string, container: string | undefined) => PodLogFeed;

interface Line {
  atMs: number;
  text: string;
}

/** Splits chunks into lines per stream; a line's time is that of its first bytes. */
class LineAssembler {
  private readonly partial = new Map<LogStreamName, Line>();

  push(c: LogChunk): Line[] {
    const out: Line[] = [];
    let rest = c.text;
    for (let nl = rest.indexOf("\n"); nl !== -1; nl = rest.indexOf("\n")) {
      const open = this.partial.get(c.stream);
      this.partial.delete(c.stream);
      out.push({ atMs: open?.atMs ?? c.atMs, text: (open?.text ?? "") + rest.slice(0, nl) });
      rest = rest.slice(nl + 1);
    }
    if (rest) {
      const open = this.partial.get(c.stream);
      this.partial.set(c.stream, { atMs: open?.atMs ?? c.atMs, text: (open?.text ?? "") + rest });
    }
    return out;
  }

  /** Unfinished lines (a read shows them, as the kubelet does for partial log entries). */
  pending(): Line[] {
    return [...this.partial.values()].sort((a, b) => a.atMs - b.atMs);
  }
}

/** RFC3339Nano with a fixed 9-digit fraction: 2025-06-01T12:00:00.123000000Z. */
export const rfc3339Nano = (ms: number) => new Date(ms).toISOString().replace(/Z$/, "000000Z");

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new KubeError(400, "BadRequest", `${name}: invalid value "${v}": must be an integer >= ${min}`);
  return n;
}

const flag = (q: URLSearchParams, name: string) => q.get(name) === "true" || q.get(name) === "1";

/** Answers one pods/log request from `feed`. */
export function servePodLog(feed: PodLogFeed, q: URLSearchParams, res: ServerResponse): void {
  const sinceSeconds = intParam(q, "sinceSeconds", 1);
  const tailLines = intParam(q, "tailLines", 0);
  const sinceTime = q.get("sinceTime");
  const sinceMs = sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : sinceTime ? Date.parse(sinceTime) : 0;
  if (Number.isNaN(sinceMs)) throw new KubeError(400, "BadRequest", `sinceTime: invalid value "${sinceTime}": not an RFC 3339 time`);
  const timestamps = flag(q, "timestamps");
  const format = (l: Line) => (timestamps ? `${rfc3339Nano(l.atMs)} ${l.text}\n` : `${l.text}\n`);

  const assembler = new LineAssembler();
  const follow = flag(q, "follow");
  let lines = feed.chunks.flatMap((c) => assembler.push(c));
  if (!follow) lines = lines.concat(assembler.pending()).sort((a, b) => a.atMs - b.atMs);
  lines = lines.filter((l) => l.atMs >= sinceMs);
  if (tailLines !== undefined) lines = tailLines === 0 ? [] : lines.slice(-tailLines);

  res.writeHead(200, { "content-type": "text/plain", ...(follow ? { "transfer-encoding": "chunked" } : {}) });
  res.write(lines.map(format).join(""));
  if (!follow) return void res.end();
  res.flushHeaders();
  // Subscribed in the same tick as the kept chunks were read: no chunk is missed or doubled.
  const stop = feed.subscribe((c) => {
    const out = assembler.push(c).map(format).join("");
    if (out) res.write(out);
  });
  const end = () => {
    stop();
    res.end();
  };
  res.on("close", stop);
  void feed.gone.then(end);
}
