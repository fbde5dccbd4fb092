// fizz pkg rebuild --name N [--wait]: builds the package's source again (buildstatus → pending).
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { waitForBuild } from "../../build-wait.js";
import { usage } from "../../errors.js";
import { intArg } from "../../flags.js";
import { markPending } from "../../package.js";
import { getResource, unwrap } from "../../resources.js";
import { hasArchive } from "../../archive-io.js";
import { buildingHint } from "./table.js";

interface Opts {
  name: string;
  wait?: boolean;
  timeout: number;
}

export function register(group: Command): void {
  group
    .command("rebuild")
    .description("build a package's source again")
    .requiredOption("--name <name>", "package name")
    .option("--wait", "wait until the package is built")
    .option("--timeout <seconds>", "with --wait: give up after this long", intArg, 300)
    .action(
      run<Opts>(async (o, g) => {
        const api = await adminApi();
        const pkg = await getResource(api, "package", g.namespace, o.name);
        if (!hasArchive(pkg.spec?.source))
          throw usage(`package '${o.name}' has no source to build (it holds prebuilt code only); give it source with: fizz pkg update --name ${o.name} --src PATH`);
        markPending(pkg);
        const { wrap } = await import("@fizz/clients/resources");
        unwrap(await api.update({ resource: wrap(pkg) }), "package");
        say(`package '${o.name}' will be built again`);
        if (!o.wait) {
          say(buildingHint(o.name)[1]!);
          return;
        }
        await waitForBuild(api, g.namespace, o.name, { timeoutMs: o.timeout * 1000 });
        say(`package '${o.name}' built`);
      }),
    );
}
