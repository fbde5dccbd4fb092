// fizz fn invocation --id ID: one async invocation (X-Fizz-Invoke-Mode: async) from the router's
// /fizz-invocations/<id>: status, attempts, the last response and error.
import type { Command } from "commander";
import { run, type Globals } from "../../context.js";
import { formatDoc } from "../records/common.js";
import { routerJson } from "../../router-http.js";
import type { InvocationView } from "@fizz/router/async/invocation";

/** The human view of one invocation. */
export function invocationView(v: InvocationView): string {
  const line = (label: string, value: string | undefined) => (value ? [`${`${label}:`.padEnd(14)}${value}`] : []);
  const out = [
    ...line("Invocation", v.invocationId),
    ...line("Function", v.function ? `${v.namespace}/${v.function}` : "-"),
    ...line("Request", `${v.method} ${v.url} (${v.bodyBytes} bytes)`),
    ...line("Status", `${v.status}${v.result ? ` (HTTP ${v.result.statusCode})` : ""}, ${v.attempts} attempt${v.attempts === 1 ? "" : "s"}`),
    ...line("Created", v.createdAt),
    ...line("Started", v.startedAt),
    ...line("Finished", v.finishedAt),
    ...line("Next attempt", v.nextAttemptAt),
    ...line("Error", v.error),
  ];
  if (v.history.length) {
    out.push("", "Attempts:");
    for (const a of v.history) {
      const what = a.interrupted ? "interrupted" : a.statusCode ? `HTTP ${a.statusCode}` : a.finishedAt ? "-" : "running";
      out.push(`  ${a.attempt}  ${a.startedAt}  ${what}${a.error && !a.interrupted ? `  ${a.error}` : ""}`);
    }
  }
  if (v.result) {
    out.push("", `Response: HTTP ${v.result.statusCode}`);
    for (const k of Object.keys(v.result.headers).sort()) out.push(`  ${k}: ${v.result.headers[k]}`);
    out.push("", (v.result.bodyEncoding === "base64" ? `base64:${v.result.body}` : v.result.body) + (v.result.truncated ? "\n… (truncated)" : ""));
  }
  return out.join("\n") + "\n";
}

/** Prints one invocation in the requested format. */
export async function showInvocation(id: string, g: Globals): Promise<void> {
  const v = await routerJson<InvocationView>(`/fizz-invocations/${encodeURIComponent(id)}`);
  process.stdout.write(g.output === "table" ? invocationView(v) : formatDoc(v, g.output));
}

export function register(group: Command): void {
  group
    .command("invocation")
    .description("show an async invocation: status, attempts, the function's response (ids come from the 202 or fn invocations)")
    .requiredOption("--id <id>", "invocation id")
    .action(run<{ id: string }>((o, g) => showInvocation(o.id, g)));
}
