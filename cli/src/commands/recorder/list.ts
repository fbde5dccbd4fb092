// fizz recorder list [-A]
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { listRecorders, printRecorders } from "./table.js";

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list recorders")
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<{ allNamespaces?: boolean }>(async (o, g) => {
        printRecorders(await listRecorders(await adminApi(), o.allNamespaces ? "" : g.namespace), g.output);
      }),
    );
}
