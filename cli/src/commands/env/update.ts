// fizz env update --name N [--image I] [--poolsize n] [--version n] [--builder I] [--buildcmd C]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { BuilderSchema, EnvironmentSpecSchema, RuntimeSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { intArg } from "../../flags.js";
import { printResources } from "../../output.js";
import { getResource, unwrap } from "../../resources.js";
import { ENV_TABLE } from "./table.js";

interface Opts {
  name: string;
  image?: string;
  poolsize?: number;
  version?: number;
  builder?: string;
  buildcmd?: string;
  graceperiod?: number;
  keeparchive?: boolean;
}

export function register(group: Command): void {
  group
    .command("update")
    .description("change an environment")
    .requiredOption("--name <name>", "environment name")
    .option("--image <image>", "runtime image")
    .option("--poolsize <n>", "warm instances kept ready", intArg)
    .option("--version <n>", "Fission environment interface version", intArg)
    .option("--builder <image>", "builder image")
    .option("--buildcmd <cmd>", "build command")
    .option("--graceperiod <seconds>", "grace period when stopping instances", intArg)
    .option("--keeparchive", "keep the deployment archive unpacked as is")
    .option("--no-keeparchive", "unpack the deployment archive")
    .action(
      run<Opts>(async (o, g) => {
        const api = await adminApi();
        const env = await getResource(api, "environment", g.namespace, o.name);
        const { name: _name, ...changes } = o;
        if (Object.values(changes).every((v) => v === undefined)) throw usage("nothing to change: give at least one of --image, --poolsize, --version, --builder, --buildcmd, --graceperiod, --keeparchive");
        const s = (env.spec ??= create(EnvironmentSpecSchema));
        if (o.image !== undefined) (s.runtime ??= create(RuntimeSchema)).image = o.image;
        if (o.poolsize !== undefined) s.poolsize = o.poolsize;
        if (o.version !== undefined) s.version = o.version;
        if (o.builder !== undefined) (s.builder ??= create(BuilderSchema)).image = o.builder;
        if (o.buildcmd !== undefined) (s.builder ??= create(BuilderSchema)).command = o.buildcmd;
        if (o.graceperiod !== undefined) s.terminationGracePeriod = BigInt(o.graceperiod);
        if (o.keeparchive !== undefined) s.keeparchive = o.keeparchive;
        const { wrap } = await import("@fizz/clients/resources");
        const updated = unwrap(await api.update({ resource: wrap(env) }), "environment");
        if (g.output === "table") say(`environment '${o.name}' updated`);
        else printResources(updated, g.output, ENV_TABLE);
      }),
    );
}
