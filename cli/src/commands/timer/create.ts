// fizz timer create [--name N] --function F --cron "0 3 * * *" [--method POST] [--subpath /]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { TimeTriggerSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { printResources } from "../../output.js";
import { derivedName, unwrap } from "../../resources.js";
import { saveSpec } from "../../spec/save.js";
import { scheduleLines, timerTable } from "./table.js";

interface Opts {
  name?: string;
  function: string;
  cron: string;
  method?: string;
  subpath?: string;
  spec?: boolean;
}

export function register(group: Command): void {
  group
    .command("create")
    .description("call a function on a schedule (cron, 5 fields or 6 with seconds, or @every 5s / @hourly / @daily …; UTC)")
    .option("--name <name>", "trigger name (default: <function>-<random>)")
    .requiredOption("--function <name>", "function to call")
    .requiredOption("--cron <schedule>", 'when: "0 3 * * *", "*/15 * * * * *", "@every 5s", "@daily"…')
    .option("--method <method>", "HTTP method of the call (default POST)")
    .option("--subpath <path>", "path below the function's internal route (default /)")
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply")
    .action(
      run<Opts>(async (o, g) => {
        const t = create(TimeTriggerSchema, {
          metadata: { name: o.name ?? derivedName(o.function), namespace: g.namespace },
          spec: { cron: o.cron, functionref: { type: "name", name: o.function }, method: o.method ?? "", subpath: o.subpath ?? "" },
        });
        if (o.spec) return void (await saveSpec(`timer-${t.metadata!.name}.yaml`, [t]));
        const { wrap } = await import("@fizz/clients/resources");
        const made = unwrap(await (await adminApi()).create({ resource: wrap(t) }), "timeTrigger");
        if (g.output !== "table") return printResources(made, g.output, await timerTable(made));
        say(`trigger '${made.metadata?.name}' created`);
        say(await scheduleLines(made.spec!.cron, 1));
      }),
    );
}
