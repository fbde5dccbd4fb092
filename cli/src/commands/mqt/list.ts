// fizz mqt list [--function F] [--mqtype T] [-A]
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { byName, printResources } from "../../output.js";
import { listResources } from "../../resources.js";
import { mqTypeArg, MQT_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list message queue triggers")
    .option("--function <name>", "only triggers that invoke this function")
    .option("--mqtype <type>", "only triggers on this queue (nats or kafka)", mqTypeArg)
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<{ function?: string; mqtype?: string; allNamespaces?: boolean }>(async (o, g) => {
        let items = await listResources(await adminApi(), "messageQueueTrigger", o.allNamespaces ? "" : g.namespace);
        if (o.function) items = items.filter((t) => t.spec?.functionref?.name === o.function);
        if (o.mqtype) items = items.filter((t) => t.spec?.messageQueueType === o.mqtype);
        printResources(items.sort(byName), g.output, MQT_TABLE);
      }),
    );
}
