// fizz pkg update --name N [--src PATH | --deploy PATH] [--buildcmd CMD] [--env E] [--wait]
// New source (or a new build command or environment for a package with source) is built
// again; the controller bumps every function using the package, so they pick the change up.
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { lazyUploader } from "../../code.js";
import { waitForBuild } from "../../build-wait.js";
import { usage } from "../../errors.js";
import { intArg } from "../../flags.js";
import { printResources } from "../../output.js";
import { isBuilding, updatePackage } from "../../package.js";
import { getResource, unwrap } from "../../resources.js";
import { buildingHint, PKG_TABLE } from "./table.js";

interface Opts {
  name: string;
  env?: string;
  src?: string;
  deploy?: string;
  buildcmd?: string;
  wait?: boolean;
  timeout: number;
}

export function register(group: Command): void {
  group
    .command("update")
    .description("change a package's source, deployment, build command or environment")
    .requiredOption("--name <name>", "package name")
    .option("--src <path>", "new source to build: a directory, a .zip / .tar.gz, or a single file")
    .option("--deploy <path>", "new prebuilt code: a directory, a .zip / .tar.gz, or a single file")
    .option("--buildcmd <cmd>", "new build command (the source is built again)")
    .option("--env <env>", "environment")
    .option("--wait", "wait until the package is built")
    .option("--timeout <seconds>", "with --wait: give up after this long", intArg, 300)
    .action(
      run<Opts>(async (o, g) => {
        if (o.src === undefined && o.deploy === undefined && o.buildcmd === undefined && o.env === undefined)
          throw usage("nothing to change: give --src, --deploy, --buildcmd or --env");
        const api = await adminApi();
        const pkg = await getResource(api, "package", g.namespace, o.name);
        await updatePackage(pkg, o, lazyUploader);
        const { wrap } = await import("@fizz/clients/resources");
        let updated = unwrap(await api.update({ resource: wrap(pkg) }), "package");
        const table = g.output === "table";
        if (table) say(`package '${o.name}' updated`);
        if (isBuilding(updated)) {
          if (o.wait) {
            updated = await waitForBuild(api, g.namespace, o.name, { timeoutMs: o.timeout * 1000 });
            if (table) say(`package '${o.name}' built`);
          } else if (table) for (const line of buildingHint(o.name)) say(line);
        }
        if (!table) printResources(updated, g.output, PKG_TABLE);
      }),
    );
}
