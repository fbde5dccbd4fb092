// fizz env delete --name N
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { deleteResource } from "../../resources.js";

export function register(group: Command): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete an environment (refused while functions or packages use it)")
    .requiredOption("--name <name>", "environment name")
    .action(
      run<{ name: string }>(async (o, g) => {
        await deleteResource(await adminApi(), "environment", g.namespace, o.name);
        say(`environment '${o.name}' deleted`);
      }),
    );
}
