// fizz replay <request-id> [--to F] [--ignore field]... [--compare-header H]...
// fizz replay --function F --since 24h [--to F2] [--limit N]      (regression run; exit 1 if any differ)
// fizz replay <request-id> --local ./handler.js [--entrypoint name] [--inspect]
import type { Command } from "commander";
import type { Record as Rec, ReplayResult } from "@fizz/proto";
import { usage } from "../errors.js";
import { collect, intArg } from "../flags.js";
import { say } from "../context.js";
import { bodyText, formatDoc, parseDuration, recordDoc, runArgs, withRecorder } from "./records/common.js";
import { runLocal } from "./records/local.js";

interface Opts {
  to?: string;
  ignore?: string[];
  compareHeader?: string[];
  function?: string;
  since?: number;
  limit: number;
  local?: string;
  entrypoint?: string;
  inspect?: boolean;
  show: number;
}

export function register(program: Command): void {
  program
    .command("replay [request-id]")
    .description("re-send recorded requests to a function (the same or another version) and compare the responses")
    .option("--to <function>", "function to send it to (default: the recorded one)")
    .option("--ignore <field>", 'JSON body field ignored when comparing ("timestamp", "data.id"; repeatable)', collect)
    .option("--compare-header <name>", "response header compared besides content-type (repeatable)", collect)
    .option("--function <name>", "regression run: replay this function's recorded requests")
    .option("--since <duration>", "regression run: requests newer than this (default 24h)", parseDuration)
    .option("--limit <n>", "regression run: at most this many requests", intArg, 200)
    .option("--show <n>", "regression run: differing requests shown", intArg, 5)
    .option("--local <file>", "run the recorded request against a local copy of the function (Node.js)")
    .option("--entrypoint <name>", "with --local: function name passed to the runtime (default: file name without extension)")
    .option("--inspect", "with --local: start the runtime under the debugger (node --inspect-brk=127.0.0.1:9229)")
    .action(
      runArgs<Opts>(async ([id], o, g) => {
        if (o.local !== undefined) {
          if (!id) throw usage("--local needs the request id to replay");
          const rec = await withRecorder((c) => c.getRecord({ requestId: id }));
          const got = await runLocal(rec, o.local, { entrypoint: o.entrypoint, inspect: !!o.inspect });
          if (g.output !== "table") {
            process.stdout.write(formatDoc({ original: recordDoc(rec), status: got.status, headers: got.headers, body: bodyText(got.body) }, g.output));
            return;
          }
          say(`local run of ${o.local}: ${rec.method} ${rec.url}`);
          process.stdout.write(response(got.status, got.headers, got.body, rec.status));
          return;
        }
        const ask = { toFunction: o.to ?? "", namespace: g.namespace, ignoreFields: o.ignore ?? [], compareHeaders: o.compareHeader ?? [] };
        if (id) {
          if (o.function) throw usage("give a request id or --function, not both");
          const r = await withRecorder((c) => c.replay({ requestId: id, ...ask }));
          if (g.output !== "table") process.stdout.write(formatDoc(resultDoc(r), g.output));
          else {
            say(`replayed ${id} to ${o.to || r.original?.function || "the recorded function"}: ${r.same ? "same" : "different"}`);
            process.stdout.write(response(r.status, r.headers, r.body, r.original?.status ?? 0));
            if (!r.same) say(`differences:\n${r.differences.map((d) => `  ${d}`).join("\n")}`);
          }
          if (!r.same) process.exitCode = 1;
          return;
        }
        if (!o.function) throw usage("give a request id to replay, or --function for a regression run");
        const fn = o.function;
        const since = o.since ?? parseDuration("24h");
        const results = await withRecorder(async (c) => {
          const list = await c.listRecords({ function: fn, namespace: g.namespace, sinceMs: BigInt(Date.now() - since), limit: o.limit });
          const out: ReplayResult[] = [];
          // Oldest first, one at a time: the function sees them in the order they happened.
          for (const rec of [...list.records].reverse()) out.push(await c.replay({ requestId: rec.requestId, ...ask }));
          return out;
        });
        const different = results.filter((r) => !r.same);
        if (g.output !== "table") {
          process.stdout.write(formatDoc({ same: results.length - different.length, different: different.length, results: results.map(resultDoc) }, g.output));
        } else {
          say(`${results.length - different.length} same / ${different.length} different (${results.length} requests to ${fn} replayed${o.to ? ` to ${o.to}` : ""})`);
          for (const r of different.slice(0, o.show)) {
            const rec = r.original;
            say(`\n${rec?.requestId ?? "?"}  ${rec?.method ?? ""} ${rec?.url ?? ""}\n${r.differences.map((d) => `  ${d}`).join("\n")}`);
          }
          if (different.length > o.show) say(`\n… and ${different.length - o.show} more (-o json shows all)`);
        }
        if (different.length) process.exitCode = 1;
      }),
    );
}

function response(status: number, headers: Record<string, string>, body: Uint8Array, recorded: number): string {
  const h = Object.keys(headers)
    .sort()
    .map((k) => `  ${k}: ${headers[k]}`)
    .join("\n");
  return `status: ${status}${recorded ? ` (recorded ${recorded})` : ""}\n${h ? `${h}\n` : ""}\n${bodyText(body)}\n`;
}

function resultDoc(r: ReplayResult): Record<string, unknown> {
  const o: Rec | undefined = r.original;
  return {
    requestId: o?.requestId,
    original: o ? recordDoc(o) : undefined,
    status: r.status,
    headers: r.headers,
    body: bodyText(r.body),
    durationMs: Math.round(r.durationMs * 100) / 100,
    same: r.same,
    differences: r.differences,
  };
}
