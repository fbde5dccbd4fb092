// fizz timer list [--function F] [-A]
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { byName, printResources } from "../../output.js";
import { listResources } from "../../resources.js";
import { timerTable } from "./table.js";

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list time triggers with their next run")
    .option("--function <name>", "only triggers that call this function")
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<{ function?: string; allNamespaces?: boolean }>(async (o, g) => {
        let items = await listResources(await adminApi(), "timeTrigger", o.allNamespaces ? "" : g.namespace);
        if (o.function) items = items.filter((t) => t.spec?.functionref?.name === o.function);
        items.sort(byName);
        printResources(items, g.output, await timerTable(items));
      }),
    );
}
