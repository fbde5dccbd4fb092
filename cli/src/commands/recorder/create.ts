// fizz recorder create --name N (--function F | --trigger T...) [--sample 0.1] [--retention 72h]
//                      [--max-body N] [--redact H]... [--disabled]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { RecorderSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { collect, intArg } from "../../flags.js";
import { parseDuration } from "../records/common.js";
import { saveSpec } from "../../spec/save.js";
import { printRecorders, rateArg, unwrapRecorder, wrapRecorder } from "./table.js";

interface Opts {
  name: string;
  function?: string;
  trigger?: string[];
  sample?: number;
  retention?: string;
  maxBody?: number;
  redact?: string[];
  disabled?: boolean;
  spec?: boolean;
}

export function register(group: Command): void {
  group
    .command("create")
    .description("record requests to a function and/or HTTP triggers, to view and replay them later")
    .requiredOption("--name <name>", "recorder name")
    .option("--function <name>", "record requests to this function (any route)")
    .option("--trigger <name>", "record requests through this HTTP trigger (repeatable)", collect)
    .option("--sample <rate>", "share of matching requests recorded, 0 < rate <= 1 (default 1)", rateArg)
    .option("--retention <duration>", "how long records are kept, e.g. 30m, 72h (default 24h)")
    .option("--max-body <bytes>", "bodies larger than this are cut (default 65536)", intArg)
    .option("--redact <header>", "header whose value is replaced by [redacted] (repeatable; default authorization, cookie)", collect)
    .option("--disabled", "create it switched off")
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply")
    .action(
      run<Opts>(async (o, g) => {
        if (!o.function && !o.trigger?.length) throw usage("give --function or --trigger (or both)");
        if (o.retention !== undefined) parseDuration(o.retention);
        const r = create(RecorderSchema, {
          metadata: { name: o.name, namespace: g.namespace },
          spec: {
            function: o.function ?? "",
            triggers: o.trigger ?? [],
            enabled: !o.disabled,
            sampleRate: o.sample,
            retention: o.retention ?? "",
            maxBodyBytes: o.maxBody,
            redactHeaders: (o.redact ?? []).map((h) => h.toLowerCase()),
          },
        });
        if (o.spec) return void (await saveSpec(`recorder-${o.name}.yaml`, [r]));
        const made = unwrapRecorder(await (await adminApi()).create({ resource: wrapRecorder(r) }));
        if (g.output === "table") {
          const s = made.spec;
          const what = [s?.function && `function ${s.function}`, s?.triggers.length && `trigger(s) ${s.triggers.join(", ")}`].filter(Boolean).join(" and ");
          say(`recorder '${made.metadata?.name}' created: ${what}, sample ${s?.sampleRate ?? 1}, kept ${s?.retention || "24h"}`);
        } else printRecorders(made, g.output);
      }),
    );
}
