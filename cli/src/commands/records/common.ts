// Shared by `records`, `recorder` and `replay`: the recorder client, durations, and how a
// recorded pair looks to a person (table, view) or a machine (JSON/YAML).
import { InvalidArgumentError, type Command } from "commander";
import { stringify } from "yaml";
import type { Record as Rec } from "@fizz/proto";
import type { RecorderClient } from "@fizz/clients";
import { FizzError } from "@fizz/common/errors";
import { serviceAddress } from "@fizz/common/ports";
import { parseDurationMs } from "@fizz/common/durations";
import { codeOf } from "../../errors.js";
import { formatTable } from "../../output.js";
import { run, type Globals, type OutputFormat } from "../../context.js";

/** Like run(), for commands with positional arguments (commander passes them first). */
export function runArgs<O>(fn: (args: string[], opts: O, g: Globals, cmd: Command) => Promise<void>) {
  const inner = run<O>((o, g, cmd) => fn(cmd.args, o, g, cmd));
  return (...a: unknown[]): Promise<void> => {
    const cmd = a[a.length - 1] as Command;
    return inner(cmd.opts() as O, cmd);
  };
}

/** "90s", "15m", "1h", "7d", "1h30m" → milliseconds. */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new InvalidArgumentError(`"${text}" is not a duration (use e.g. 90s, 15m, 1h, 7d)`);
  return ms;
}

/** Runs `fn` with a recorder client for FIZZ_RECORDER and closes it; "cannot reach" gets a clear message. */
export async function withRecorder<T>(fn: (c: RecorderClient) => Promise<T>, address = serviceAddress("recorder")): Promise<T> {
  const { recorderClient } = await import("@fizz/clients");
  const c = recorderClient(address);
  try {
    return await fn(c);
  } catch (err) {
    if (codeOf(err) === "UNAVAILABLE" && /cannot reach RecorderService/.test((err as Error).message))
      throw new FizzError(
        "UNAVAILABLE",
        `cannot reach the recorder at ${address} (is the platform running? start it with 'fizz up' or set FIZZ_RECORDER)`,
      );
    throw err;
  } finally {
    c.close();
  }
}

/** Body as text when it is UTF-8 without control bytes, else base64 (marked). */
export function bodyText(b: Uint8Array): string {
  const s = Buffer.from(b).toString("utf8");
  return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(s) ? `base64:${Buffer.from(b).toString("base64")}` : s;
}

export const when = (ms: bigint | number) => new Date(Number(ms)).toISOString();

/** A record as a plain document (bodies as text). */
export function recordDoc(r: Rec): Record<string, unknown> {
  return {
    requestId: r.requestId,
    function: r.function,
    namespace: r.namespace,
    trigger: r.trigger || undefined,
    recorder: r.recorder,
    time: when(r.timestampMs),
    method: r.method,
    url: r.url,
    requestHeaders: r.requestHeaders,
    requestBody: bodyText(r.requestBody),
    requestBodyTruncated: r.requestBodyTruncated || undefined,
    status: r.status,
    responseHeaders: r.responseHeaders,
    responseBody: bodyText(r.responseBody),
    responseBodyTruncated: r.responseBodyTruncated || undefined,
    durationMs: Math.round(r.durationMs * 100) / 100,
    traceId: r.traceId || undefined,
    retentionSeconds: Number(r.retentionSeconds),
  };
}

export function formatDoc(doc: unknown, format: "json" | "yaml"): string {
  const clean = JSON.parse(JSON.stringify(doc)) as unknown;
  return format === "json" ? `${JSON.stringify(clean, null, 2)}\n` : stringify(clean);
}

export function recordsTable(items: Rec[]): string {
  return formatTable(
    ["REQUEST ID", "TIME", "FUNCTION", "TRIGGER", "METHOD", "URL", "STATUS", "DURATION"],
    items.map((r) => [r.requestId, when(r.timestampMs), r.function, r.trigger || "-", r.method, r.url, String(r.status), `${r.durationMs.toFixed(1)}ms`]),
  );
}

const headerLines = (h: Record<string, string>) =>
  Object.keys(h)
    .sort()
    .map((k) => `  ${k}: ${h[k]}`)
    .join("\n");

/** The human view of one record. */
export function recordView(r: Rec): string {
  const lines = [
    `Request ID:  ${r.requestId}`,
    `Function:    ${r.namespace}/${r.function}${r.trigger ? ` (trigger ${r.trigger})` : ""}`,
    `Recorder:    ${r.recorder}`,
    `Time:        ${when(r.timestampMs)}`,
    `Duration:    ${r.durationMs.toFixed(2)} ms`,
    `Trace ID:    ${r.traceId || "-"}`,
    "",
    `${r.method} ${r.url}`,
    headerLines(r.requestHeaders),
    "",
    bodyText(r.requestBody) + (r.requestBodyTruncated ? "\n… (truncated)" : ""),
    "",
    `Status: ${r.status}`,
    headerLines(r.responseHeaders),
    "",
    bodyText(r.responseBody) + (r.responseBodyTruncated ? "\n… (truncated)" : ""),
  ];
  return lines.join("\n").replace(/\n{3,}/g, "\n\n") + "\n";
}

export function printRecords(items: Rec[], format: OutputFormat): void {
  process.stdout.write(format === "table" ? recordsTable(items) : formatDoc(items.map(recordDoc), format));
}
