// fizz canary abort --name N: stop the rollout where it is (status aborted, weights unchanged).
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { getResource } from "../../resources.js";

export function register(group: Command): void {
  group
    .command("abort")
    .description("stop a running canary, leaving the trigger's weights as they are (status: aborted)")
    .requiredOption("--name <name>", "canary name")
    .action(
      run<{ name: string }>(async (o, g) => {
        const api = await adminApi();
        const c = await getResource(api, "canaryConfig", g.namespace, o.name);
        const status = c.status?.status || "pending";
        if (status !== "pending") throw usage(`canary '${o.name}' has already ${status === "aborted" ? "been aborted" : status}`);
        const { CANARY_ABORT_ANNOTATION, wrap } = await import("@fizz/clients/resources");
        c.metadata!.annotations[CANARY_ABORT_ANNOTATION] = "true";
        await api.update({ resource: wrap(c) });
        say(`canary '${o.name}' aborting: the canary service stops it at once and records "aborted"`);
      }),
    );
}
