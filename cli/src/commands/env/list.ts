// fizz env list
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { byName, printResources } from "../../output.js";
import { listResources } from "../../resources.js";
import { ENV_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list environments")
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<{ allNamespaces?: boolean }>(async (o, g) => {
        const items = await listResources(await adminApi(), "environment", o.allNamespaces ? "" : g.namespace);
        printResources(items.sort(byName), g.output, ENV_TABLE);
      }),
    );
}
