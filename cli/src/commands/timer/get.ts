// fizz timer get --name N
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { printResources } from "../../output.js";
import { getResource } from "../../resources.js";
import { timerTable } from "./table.js";

export function register(group: Command): void {
  group
    .command("get")
    .description("show a time trigger")
    .requiredOption("--name <name>", "trigger name")
    .action(
      run<{ name: string }>(async (o, g) => {
        const t = await getResource(await adminApi(), "timeTrigger", g.namespace, o.name);
        printResources(t, g.output, await timerTable(t));
      }),
    );
}
