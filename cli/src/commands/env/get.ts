// fizz env get --name N
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { printResources } from "../../output.js";
import { getResource } from "../../resources.js";
import { ENV_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("get")
    .description("show an environment")
    .requiredOption("--name <name>", "environment name")
    .action(
      run<{ name: string }>(async (o, g) => {
        printResources(await getResource(await adminApi(), "environment", g.namespace, o.name), g.output, ENV_TABLE);
      }),
    );
}
