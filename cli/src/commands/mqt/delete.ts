// fizz mqt delete --name N
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { deleteResource } from "../../resources.js";

export function register(group: Command): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete a message queue trigger (the mqtrigger drops its durable consumer)")
    .requiredOption("--name <name>", "trigger name")
    .action(
      run<{ name: string }>(async (o, g) => {
        await deleteResource(await adminApi(), "messageQueueTrigger", g.namespace, o.name);
        say(`trigger '${o.name}' deleted`);
      }),
    );
}
