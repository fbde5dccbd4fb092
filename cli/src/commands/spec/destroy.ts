// fizz spec destroy [--specdir specs] --yes: deletes every resource of this deployment's uid
// (triggers first, environments last). Without --yes it lists them and changes nothing.
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { lazyUploader } from "../../code.js";
import { usage } from "../../errors.js";
import { applyPlan, describeStep } from "../../spec/apply.js";
import { kindOfValue, nameOf, namespaceOf } from "../../spec/format.js";
import { ownedBy, readPlatform } from "../../spec/platform.js";
import type { Step } from "../../spec/plan.js";
import { deploymentOf, specDirOption } from "./common.js";

interface Opts {
  specdir: string;
  yes?: boolean;
}

export function register(group: Command): void {
  specDirOption(group.command("destroy").description("delete every resource of this spec directory's deployment"))
    .option("--yes", "really delete them (without it, only lists what would go)")
    .action(
      run<Opts>(async (o) => {
        const config = await deploymentOf(o.specdir);
        const api = await adminApi();
        const steps: Step[] = ownedBy(await readPlatform(api), config.uid).map((v) => ({
          action: "delete",
          kind: kindOfValue(v),
          name: nameOf(v),
          namespace: namespaceOf(v),
          reason: "destroy",
          existing: v,
          uploads: [],
        }));
        if (!steps.length) return say(`nothing to destroy: no resource carries deployment uid ${config.uid}`);
        if (!o.yes) {
          for (const s of steps) say(`would delete ${describeStep(s)}`);
          throw usage(`add --yes to delete these ${steps.length} resources of deployment '${config.name}'`);
        }
        await applyPlan(api, { steps, errors: [], kept: [] }, lazyUploader, (s) => say(`deleted ${describeStep(s)}`));
        say(`${steps.length} deleted`);
      }),
    );
}
