// fizz canary update --name N [--increment-step P] [--increment-interval D] [--failure-threshold P]
// Changes apply from the next step; a finished canary stays finished.
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { printResources } from "../../output.js";
import { getResource, unwrap } from "../../resources.js";
import { CANARY_TABLE, stepOptions, type StepFlags } from "./table.js";

export function register(group: Command): void {
  stepOptions(
    group
      .command("update")
      .description("change a canary's step, interval or threshold (from its next step)")
      .requiredOption("--name <name>", "canary name"),
  ).action(
    run<StepFlags & { name: string }>(async (o, g) => {
      if (o.incrementStep === undefined && o.incrementInterval === undefined && o.failureThreshold === undefined)
        throw usage("nothing to change: give --increment-step, --increment-interval or --failure-threshold");
      const api = await adminApi();
      const c = await getResource(api, "canaryConfig", g.namespace, o.name);
      const s = c.spec!;
      if (o.incrementStep !== undefined) s.weightincrement = o.incrementStep;
      if (o.incrementInterval !== undefined) s.duration = o.incrementInterval;
      if (o.failureThreshold !== undefined) s.failurethreshold = o.failureThreshold;
      const { wrap } = await import("@fizz/clients/resources");
      const updated = unwrap(await api.update({ resource: wrap(c) }), "canaryConfig");
      if (g.output !== "table") return printResources(updated, g.output, CANARY_TABLE);
      say(`canary '${o.name}' updated`);
    }),
  );
}
