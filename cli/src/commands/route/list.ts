// fizz route list [--function F]
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { byName, printResources } from "../../output.js";
import { listResources } from "../../resources.js";
import { ROUTE_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list HTTP routes")
    .option("--function <name>", "only routes that call this function")
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<{ function?: string; allNamespaces?: boolean }>(async (o, g) => {
        let items = await listResources(await adminApi(), "httpTrigger", o.allNamespaces ? "" : g.namespace);
        if (o.function) {
          const f = o.function;
          items = items.filter((t) => t.spec?.functionref?.name === f || f in (t.spec?.functionref?.functionweights ?? {}));
        }
        printResources(items.sort(byName), g.output, ROUTE_TABLE);
      }),
    );
}
