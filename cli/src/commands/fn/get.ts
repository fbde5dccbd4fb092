// fizz fn get --name N
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { printResources } from "../../output.js";
import { getResource } from "../../resources.js";
import { FN_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("get")
    .description("show a function")
    .requiredOption("--name <name>", "function name")
    .action(
      run<{ name: string }>(async (o, g) => {
        printResources(await getResource(await adminApi(), "function", g.namespace, o.name), g.output, FN_TABLE);
      }),
    );
}
