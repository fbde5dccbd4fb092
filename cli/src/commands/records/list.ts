// fizz records list [--function F] [--trigger T] [--since 1h] [--status 5xx] [--limit 50]
import type { Command } from "commander";
import { run } from "../../context.js";
import { intArg } from "../../flags.js";
import { parseDuration, printRecords, withRecorder } from "./common.js";

interface Opts {
  function?: string;
  trigger?: string;
  since?: number;
  status?: string;
  limit: number;
}

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list recorded requests, newest first (bodies are left out)")
    .option("--function <name>", "only requests to this function")
    .option("--trigger <name>", "only requests through this HTTP trigger")
    .option("--since <duration>", "only requests newer than this (90s, 15m, 1h, 7d)", parseDuration)
    .option("--status <status>", 'only these statuses: "2xx", "4xx", "5xx" or an exact one ("404")')
    .option("--limit <n>", "at most this many", intArg, 50)
    .action(
      run<Opts>(async (o, g) => {
        const res = await withRecorder((c) =>
          c.listRecords({
            function: o.function ?? "",
            trigger: o.trigger ?? "",
            namespace: g.namespace,
            sinceMs: o.since === undefined ? 0n : BigInt(Date.now() - o.since),
            status: o.status ?? "",
            limit: o.limit,
          }),
        );
        printRecords(res.records, g.output);
      }),
    );
}
