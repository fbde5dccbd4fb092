// fizz recorder update --name N [--function F] [--trigger T]... [--sample R] [--retention D]
//                      [--max-body N] [--redact H]... [--enable | --disable]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { RecorderSpecSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { collect, intArg } from "../../flags.js";
import { parseDuration } from "../records/common.js";
import { getRecorder, printRecorders, rateArg, unwrapRecorder, wrapRecorder } from "./table.js";

interface Opts {
  name: string;
  function?: string;
  trigger?: string[];
  sample?: number;
  retention?: string;
  maxBody?: number;
  redact?: string[];
  enable?: boolean;
  disable?: boolean;
}

export function register(group: Command): void {
  group
    .command("update")
    .description("change a recorder (given flags replace what it had)")
    .requiredOption("--name <name>", "recorder name")
    .option("--function <name>", 'function to record ("" for none)')
    .option("--trigger <name>", "HTTP triggers to record (repeatable; replaces the list)", collect)
    .option("--sample <rate>", "share of matching requests recorded, 0 < rate <= 1", rateArg)
    .option("--retention <duration>", "how long records are kept, e.g. 30m, 72h")
    .option("--max-body <bytes>", "bodies larger than this are cut", intArg)
    .option("--redact <header>", "headers to redact (repeatable; replaces the list)", collect)
    .option("--enable", "switch recording on")
    .option("--disable", "switch recording off")
    .action(
      run<Opts>(async (o, g) => {
        const { name, ...changes } = o;
        if (Object.values(changes).every((v) => v === undefined))
          throw usage("nothing to change: give --function, --trigger, --sample, --retention, --max-body, --redact, --enable or --disable");
        if (o.enable && o.disable) throw usage("give --enable or --disable, not both");
        if (o.retention !== undefined) parseDuration(o.retention);
        const api = await adminApi();
        const r = await getRecorder(api, g.namespace, name);
        const s = (r.spec ??= create(RecorderSpecSchema));
        if (o.function !== undefined) s.function = o.function;
        if (o.trigger) s.triggers = o.trigger;
        if (o.sample !== undefined) s.sampleRate = o.sample;
        if (o.retention !== undefined) s.retention = o.retention;
        if (o.maxBody !== undefined) s.maxBodyBytes = o.maxBody;
        if (o.redact) s.redactHeaders = o.redact.map((h) => h.toLowerCase());
        if (o.enable) s.enabled = true;
        if (o.disable) s.enabled = false;
        if (!s.function && !s.triggers.length) throw usage("a recorder needs a --function or a --trigger");
        const made = unwrapRecorder(await api.update({ resource: wrapRecorder(r) }));
        if (g.output === "table") say(`recorder '${made.metadata?.name}' updated`);
        else printRecorders(made, g.output);
      }),
    );
}
