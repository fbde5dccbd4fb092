// fizz canary create --name N --httptrigger T --newfunction NEW --oldfunction OLD
//   [--increment-step 20] [--increment-interval 30s] [--failure-threshold 10]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { CanaryConfigSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { printResources } from "../../output.js";
import { unwrap } from "../../resources.js";
import { saveSpec } from "../../spec/save.js";
import { CANARY_TABLE, stepOptions, type StepFlags } from "./table.js";

interface Opts extends StepFlags {
  name: string;
  httptrigger: string;
  newfunction: string;
  oldfunction: string;
  spec?: boolean;
}

export function register(group: Command): void {
  stepOptions(
    group
      .command("create")
      .description("shift an HTTP trigger's traffic from one function to another step by step, rolling back when the new one fails")
      .requiredOption("--name <name>", "canary name")
      .requiredOption("--httptrigger <name>", "HTTP trigger whose traffic moves (routing to --oldfunction, or split between the two)")
      .requiredOption("--newfunction <name>", "function traffic moves to")
      .requiredOption("--oldfunction <name>", "function traffic moves from"),
  )
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply")
    .action(
      run<Opts>(async (o, g) => {
        const c = create(CanaryConfigSchema, {
          metadata: { name: o.name, namespace: g.namespace },
          spec: {
            trigger: o.httptrigger,
            newfunction: o.newfunction,
            oldfunction: o.oldfunction,
            // Fission's defaults: 20 points, every 2 minutes, 10% failures.
            weightincrement: o.incrementStep ?? 20,
            duration: o.incrementInterval ?? "",
            failurethreshold: o.failureThreshold ?? 10,
          },
        });
        if (o.spec) return void (await saveSpec(`canary-${o.name}.yaml`, [c]));
        const { wrap } = await import("@fizz/clients/resources");
        const made = unwrap(await (await adminApi()).create({ resource: wrap(c) }), "canaryConfig");
        if (g.output !== "table") return printResources(made, g.output, CANARY_TABLE);
        const s = made.spec!;
        say(`canary '${o.name}' created: ${s.weightincrement}% of HTTPTrigger '${s.trigger}' moves from '${s.oldfunction}' to '${s.newfunction}' every ${s.duration} while failures stay at or below ${s.failurethreshold}%`);
      }),
    );
}
