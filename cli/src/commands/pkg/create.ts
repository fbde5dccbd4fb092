// fizz pkg create --name N --env E (--src PATH [--buildcmd CMD] | --deploy PATH) [--wait]
// --src is built by the builder into a deployment; --deploy runs as it is.
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { lazyUploader } from "../../code.js";
import { waitForBuild } from "../../build-wait.js";
import { intArg } from "../../flags.js";
import { printResources } from "../../output.js";
import { archiveFlag, isBuilding, makePackage } from "../../package.js";
import { saveSpec } from "../../spec/save.js";
import { packageSpec } from "../../spec/save-package.js";
import { unwrap } from "../../resources.js";
import { buildingHint, PKG_TABLE } from "./table.js";

interface Opts {
  name: string;
  env: string;
  src?: string;
  deploy?: string;
  buildcmd?: string;
  wait?: boolean;
  timeout: number;
  spec?: boolean;
}

export function register(group: Command): void {
  group
    .command("create")
    .description("create a package from source to build (--src) or prebuilt code (--deploy)")
    .requiredOption("--name <name>", "package name")
    .requiredOption("--env <env>", "environment the package is built for and runs in")
    .option("--src <path>", "source to build: a directory, a .zip / .tar.gz, or a single file")
    .option("--deploy <path>", "prebuilt code that runs as it is: a directory, a .zip / .tar.gz, or a single file")
    .option("--buildcmd <cmd>", "build command for --src (default: the environment's, e.g. npm install)")
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply")
    .option("--wait", "wait until the package is built")
    .option("--timeout <seconds>", "with --wait: give up after this long", intArg, 300)
    .action(
      run<Opts>(async (o, g) => {
        const { checkName } = await import("@fizz/common/names");
        checkName(o.name, "package name");
        if (o.spec) {
          const which = archiveFlag(o, true, ["src", "deploy"]) as "src" | "deploy";
          const made = await packageSpec({ name: o.name, namespace: g.namespace, env: o.env, which, path: o[which]!, buildcmd: o.buildcmd });
          return void (await saveSpec(`package-${o.name}.yaml`, [made.archive, made.pkg]));
        }
        const made = await makePackage({ name: o.name, namespace: g.namespace, env: o.env, src: o.src, deploy: o.deploy, buildcmd: o.buildcmd }, lazyUploader);
        const api = await adminApi();
        const { wrap } = await import("@fizz/clients/resources");
        let pkg = unwrap(await api.create({ resource: wrap(made.pkg) }), "package");
        const table = g.output === "table";
        if (table) say(`package '${o.name}' created`);
        if (isBuilding(pkg)) {
          if (o.wait) {
            pkg = await waitForBuild(api, g.namespace, o.name, { timeoutMs: o.timeout * 1000 });
            if (table) say(`package '${o.name}' built`);
          } else if (table) for (const line of buildingHint(o.name)) say(line);
        }
        if (!table) printResources(pkg, g.output, PKG_TABLE);
      }),
    );
}
