// fizz env create --name N --image IMAGE [--poolsize 3] [--version 2] [--builder IMG --buildcmd CMD]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { intArg } from "../../flags.js";
import { printResources } from "../../output.js";
import { unwrap } from "../../resources.js";
import { ENV_TABLE } from "./table.js";
import { saveSpec } from "../../spec/save.js";

interface Opts {
  name: string;
  image: string;
  poolsize: number;
  version?: number;
  builder?: string;
  buildcmd?: string;
  graceperiod?: number;
  keeparchive?: boolean;
  spec?: boolean;
}

export function register(group: Command): void {
  group
    .command("create")
    .description("create an environment (a language runtime functions run in)")
    .requiredOption("--name <name>", "environment name")
    .requiredOption("--image <image>", "runtime: nodejs, python, exec, or a Fission image such as fission/node-env")
    .option("--poolsize <n>", "warm instances kept ready (0: spawn on demand)", intArg, 3)
    .option("--version <n>", "Fission environment interface version (1, 2 or 3)", intArg)
    .option("--builder <image>", "builder image that turns source archives into deployment archives")
    .option("--buildcmd <cmd>", "build command the builder runs")
    .option("--graceperiod <seconds>", "grace period when stopping instances", intArg)
    .option("--keeparchive", "keep the deployment archive unpacked as is")
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply")
    .action(
      run<Opts>(async (o, g) => {
        const env = create(EnvironmentSchema, {
          metadata: { name: o.name, namespace: g.namespace },
          spec: {
            version: o.version ?? 0,
            runtime: { image: o.image },
            ...(o.builder || o.buildcmd ? { builder: { image: o.builder ?? "", command: o.buildcmd ?? "" } } : {}),
            poolsize: o.poolsize,
            ...(o.graceperiod !== undefined ? { terminationGracePeriod: BigInt(o.graceperiod) } : {}),
            keeparchive: o.keeparchive ?? false,
          },
        });
        if (o.spec) return void (await saveSpec(`env-${o.name}.yaml`, [env]));
        const { wrap } = await import("@fizz/clients/resources");
        const made = unwrap(await (await adminApi()).create({ resource: wrap(env) }), "environment");
        if (g.output === "table") say(`environment '${made.metadata?.name}' created`);
        else printResources(made, g.output, ENV_TABLE);
      }),
    );
}
