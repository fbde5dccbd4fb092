// fizz mqt get --name N: the trigger, and (table output) what the mqtrigger service reports for it.
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { printResources } from "../../output.js";
import { getResource } from "../../resources.js";
import { liveStatus, MQT_TABLE } from "./table.js";

export function register(group: Command): void {
  group
    .command("get")
    .description("show a message queue trigger and its live status")
    .requiredOption("--name <name>", "trigger name")
    .action(
      run<{ name: string }>(async (o, g) => {
        printResources(await getResource(await adminApi(), "messageQueueTrigger", g.namespace, o.name), g.output, MQT_TABLE);
        if (g.output === "table") say(await liveStatus(g.namespace, o.name));
      }),
    );
}
