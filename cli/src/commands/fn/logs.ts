// fizz fn logs --name N [-f|--follow] [--since 10m|RFC3339] [--tail N] [-o json|yaml]
// A function's runtime output (stdout/stderr of every instance it ran on), from the executor
// ($FIZZ_EXECUTOR), which keeps it per function; the same call works when the executor is remote.
import { InvalidArgumentError, type Command } from "commander";
import { stringify } from "yaml";
import type { LogLine } from "@fizz/proto";
import { parseDurationMs } from "@fizz/common/durations";
import { serviceAddress } from "@fizz/common/ports";
import { run, type OutputFormat } from "../../context.js";
import { intArg } from "../../flags.js";

interface Opts {
  name: string;
  follow?: boolean;
  since?: number;
  tail?: number;
}

const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/;

/** --since: how far back (10m, 1h30m) or from when (RFC 3339), as ms since the epoch. */
export function sinceArg(text: string, now = Date.now()): number {
  const back = parseDurationMs(text);
  if (back !== undefined) return now - back;
  const at = RFC3339.test(text.trim()) ? Date.parse(text.trim().replace(" ", "T")) : NaN;
  if (Number.isNaN(at)) throw new InvalidArgumentError(`"${text}" is neither a duration (10m, 1h) nor an RFC 3339 time (2025-01-02T15:04:05Z)`);
  return at;
}

/** One line as printed: `<time> <instance> <text>`, stderr marked; JSON lines or YAML documents for machines. */
export function formatLogLine(l: LogLine, format: OutputFormat): string {
  const time = new Date(Number(l.timeMs)).toISOString();
  if (format === "table") return `${time} ${l.instanceId} ${l.stream === "stderr" ? "[stderr] " : ""}${l.text}\n`;
  const doc = { time, instance: l.instanceId, stream: l.stream, text: l.text };
  return format === "json" ? `${JSON.stringify(doc)}\n` : `---\n${stringify(doc)}`;
}

const NOTE_PREFIX = "[fizz] ";

/** A line the executor adds (instance "fizz"), e.g. "logs of deleted pods are gone" on Kubernetes. */
export const isNote = (l: LogLine) => l.instanceId === "fizz" && l.text.startsWith(NOTE_PREFIX);

/** Collects output and writes it in one go once the lines that arrived together are formatted. */
function batchedStdout() {
  let buf = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buf) process.stdout.write(buf);
    buf = "";
  };
  return {
    write(s: string) {
      buf += s;
      if (buf.length >= 64 * 1024) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

export function register(group: Command): void {
  group
    .command("logs")
    .description("print a function's runtime output (stdout and stderr of its instances), oldest first")
    .requiredOption("--name <name>", "function name")
    .option("-f, --follow", "keep printing new lines as the function writes them (Ctrl-C to stop)")
    .option("--since <when>", "only lines since a duration ago (10m, 1h) or an RFC 3339 time", (v: string) => sinceArg(v))
    .option("--tail <n>", "only the last n lines (with --follow: before the new ones)", intArg)
    .action(
      run<Opts>(async (o, g) => {
        const { executorClient } = await import("@fizz/clients");
        const client = executorClient(serviceAddress("executor"));
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once("SIGINT", stop).once("SIGTERM", stop);
        const out = batchedStdout();
        let lines = 0;
        let notes = 0;
        try {
          const req = { function: { name: o.name, namespace: g.namespace }, sinceMs: BigInt(o.since ?? 0), tail: o.tail ?? 0, follow: !!o.follow };
          for await (const l of client.functionLogs(req, { signal: ac.signal })) {
            // The executor's own notes (nothing kept, lines skipped) are not the function's output.
            if (isNote(l)) {
              out.flush();
              process.stderr.write(`fizz: ${l.text.slice(NOTE_PREFIX.length)}\n`);
              notes++;
              continue;
            }
            out.write(formatLogLine(l, g.output));
            lines++;
          }
        } finally {
          out.flush();
          process.off("SIGINT", stop).off("SIGTERM", stop);
          client.close();
        }
        if (lines === 0 && notes === 0 && !o.follow) {
          const why = o.since !== undefined || o.tail !== undefined ? "in that range" : "yet; they appear once it runs";
          process.stderr.write(`fizz: no logs for function "${o.name}" ${why} (call it with: fizz fn test --name ${o.name})\n`);
        }
      }),
    );
}
