// fizz route get --name N
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { printResources } from "../../output.js";
import { getResource } from "../../resources.js";
import { ROUTE_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("get")
    .description("show an HTTP route")
    .requiredOption("--name <name>", "route name")
    .action(
      run<{ name: string }>(async (o, g) => {
        printResources(await getResource(await adminApi(), "httpTrigger", g.namespace, o.name), g.output, ROUTE_TABLE);
      }),
    );
}
