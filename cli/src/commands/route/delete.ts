// fizz route delete --name N
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { deleteResource } from "../../resources.js";

export function register(group: Command): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete an HTTP route")
    .requiredOption("--name <name>", "route name")
    .action(
      run<{ name: string }>(async (o, g) => {
        await deleteResource(await adminApi(), "httpTrigger", g.namespace, o.name);
        say(`route '${o.name}' deleted`);
      }),
    );
}
