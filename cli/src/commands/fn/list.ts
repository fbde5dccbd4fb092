// fizz fn list [--env E]
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { byName, printResources } from "../../output.js";
import { listResources } from "../../resources.js";
import { FN_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list functions")
    .option("--env <env>", "only functions of this environment")
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<{ env?: string; allNamespaces?: boolean }>(async (o, g) => {
        let items = await listResources(await adminApi(), "function", o.allNamespaces ? "" : g.namespace);
        if (o.env) items = items.filter((f) => f.spec?.environment?.name === o.env);
        printResources(items.sort(byName), g.output, FN_TABLE);
      }),
    );
}
