// fizz canary get --name N: the config, its status, the trigger's weights now and the step history.
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { printResources } from "../../output.js";
import { findResource, getResource } from "../../resources.js";
import { CANARY_TABLE, canaryDetails } from "./table.js";

export function register(group: Command): void {
  group
    .command("get")
    .description("show a canary: status, the trigger's current weights and every step taken")
    .requiredOption("--name <name>", "canary name")
    .action(
      run<{ name: string }>(async (o, g) => {
        const api = await adminApi();
        const c = await getResource(api, "canaryConfig", g.namespace, o.name);
        printResources(c, g.output, CANARY_TABLE);
        if (g.output === "table") say(canaryDetails(c, await findResource(api, "httpTrigger", g.namespace, c.spec?.trigger ?? "")));
      }),
    );
}
