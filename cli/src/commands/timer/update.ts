// fizz timer update --name N [--cron C] [--function F] [--method M] [--subpath P]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { FunctionReferenceSchema, TimeTriggerSpecSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { printResources } from "../../output.js";
import { getResource, unwrap } from "../../resources.js";
import { scheduleLines, timerTable } from "./table.js";

interface Opts {
  name: string;
  cron?: string;
  function?: string;
  method?: string;
  subpath?: string;
}

export function register(group: Command): void {
  group
    .command("update")
    .description("change a time trigger (a new cron reschedules it; the rest applies from the next run)")
    .requiredOption("--name <name>", "trigger name")
    .option("--cron <schedule>", "new schedule")
    .option("--function <name>", "function to call")
    .option("--method <method>", "HTTP method of the call")
    .option("--subpath <path>", "path below the function's internal route")
    .action(
      run<Opts>(async (o, g) => {
        const { name, ...changes } = o;
        if (Object.values(changes).every((v) => v === undefined)) throw usage("nothing to change: give --cron, --function, --method or --subpath");
        const api = await adminApi();
        const t = await getResource(api, "timeTrigger", g.namespace, name);
        const s = (t.spec ??= create(TimeTriggerSpecSchema));
        if (o.cron !== undefined) s.cron = o.cron;
        if (o.function !== undefined) s.functionref = create(FunctionReferenceSchema, { type: "name", name: o.function });
        if (o.method !== undefined) s.method = o.method;
        if (o.subpath !== undefined) s.subpath = o.subpath;
        const { wrap } = await import("@fizz/clients/resources");
        const updated = unwrap(await api.update({ resource: wrap(t) }), "timeTrigger");
        if (g.output !== "table") return printResources(updated, g.output, await timerTable(updated));
        say(`trigger '${name}' updated`);
        if (o.cron !== undefined) say(await scheduleLines(updated.spec!.cron, 1));
      }),
    );
}
