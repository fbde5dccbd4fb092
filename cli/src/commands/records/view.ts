// fizz records view <request-id>
import type { Command } from "commander";
import { formatDoc, recordDoc, recordView, runArgs, withRecorder } from "./common.js";

export function register(group: Command): void {
  group
    .command("view <request-id>")
    .alias("get")
    .description("show one recorded request and its response (X-Fizz-Request-Id of the response)")
    .action(
      runArgs<Record<string, never>>(async ([id], _o, g) => {
        const r = await withRecorder((c) => c.getRecord({ requestId: id! }));
        process.stdout.write(g.output === "table" ? recordView(r) : formatDoc(recordDoc(r), g.output));
      }),
    );
}
