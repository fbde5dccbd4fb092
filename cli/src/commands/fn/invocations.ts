// fizz fn invocations [--name F] [--status S] [--limit N] [--id ID]: async invocations
// (X-Fizz-Invoke-Mode: async) the router keeps, newest first.
import type { Command } from "commander";
import { run } from "../../context.js";
import { intArg } from "../../flags.js";
import { age, formatTable } from "../../output.js";
import { formatDoc } from "../records/common.js";
import { routerJson } from "../../router-http.js";
import { showInvocation } from "./invocation.js";
import type { InvocationSummary as Summary } from "@fizz/router/async/invocation";

interface Opts {
  name?: string;
  status?: string;
  limit: number;
  id?: string;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function invocationsTable(items: Summary[], now = Date.now()): string {
  return formatTable(
    ["ID", "FUNCTION", "STATUS", "ATTEMPTS", "HTTP", "AGE", "REQUEST", "ERROR"],
    items.map((s) => [
      s.invocationId,
      s.function || "-",
      s.status,
      String(s.attempts),
      s.statusCode ? String(s.statusCode) : "-",
      age(s.createdAt, now),
      clip(`${s.method} ${s.url}`, 60),
      s.error ? clip(s.error, 80) : "",
    ]),
  );
}

export function register(group: Command): void {
  group
    .command("invocations")
    .description("list async invocations (X-Fizz-Invoke-Mode: async), newest first; --id shows one")
    .option("--name <name>", "only invocations of this function")
    .option("--status <status>", "only queued, running, succeeded or failed ones")
    .option("--limit <n>", "at most this many", intArg, 50)
    .option("--id <id>", "show this invocation in full (as fn invocation --id)")
    .action(
      run<Opts>(async (o, g) => {
        if (o.id) return showInvocation(o.id, g);
        const q = new URLSearchParams({ namespace: g.namespace, limit: String(o.limit) });
        if (o.name) q.set("function", o.name);
        if (o.status) q.set("status", o.status);
        const { invocations } = await routerJson<{ invocations: Summary[] }>(`/fizz-invocations?${q}`);
        process.stdout.write(g.output === "table" ? invocationsTable(invocations) : formatDoc(invocations, g.output));
      }),
    );
}
