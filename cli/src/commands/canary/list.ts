// fizz canary list [-A]
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { byName, printResources } from "../../output.js";
import { listResources } from "../../resources.js";
import { CANARY_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list canaries with their status and the new function's weight")
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<{ allNamespaces?: boolean }>(async (o, g) => {
        const items = await listResources(await adminApi(), "canaryConfig", o.allNamespaces ? "" : g.namespace);
        printResources(items.sort(byName), g.output, CANARY_TABLE);
      }),
    );
}
