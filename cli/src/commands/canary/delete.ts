// fizz canary delete --name N
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { deleteResource } from "../../resources.js";

export function register(group: Command): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete a canary (it stops; the trigger's weights stay as they are)")
    .requiredOption("--name <name>", "canary name")
    .action(
      run<{ name: string }>(async (o, g) => {
        await deleteResource(await adminApi(), "canaryConfig", g.namespace, o.name);
        say(`canary '${o.name}' deleted`);
      }),
    );
}
