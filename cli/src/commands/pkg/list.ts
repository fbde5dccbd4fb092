// fizz pkg list [--status pending|running|succeeded|failed|none] [--env E]
import { Option, type Command } from "commander";
import { adminApi, run } from "../../context.js";
import { BUILD_STATUSES } from "../../build-wait.js";
import { byName, printResources } from "../../output.js";
import { listResources } from "../../resources.js";
import { PKG_TABLE } from "./table.js";

interface Opts {
  status?: string;
  env?: string;
  allNamespaces?: boolean;
}

export function register(group: Command): void {
  group
    .command("list")
    .alias("ls")
    .description("list packages and their build status")
    .addOption(new Option("--status <status>", "only packages with this build status").choices(BUILD_STATUSES))
    .option("--env <env>", "only packages of this environment")
    .option("-A, --all-namespaces", "list every namespace")
    .action(
      run<Opts>(async (o, g) => {
        let items = await listResources(await adminApi(), "package", o.allNamespaces ? "" : g.namespace);
        if (o.status) items = items.filter((p) => (p.status?.buildstatus ?? "") === o.status);
        if (o.env) items = items.filter((p) => p.spec?.environment?.name === o.env);
        printResources(items.sort(byName), g.output, PKG_TABLE);
      }),
    );
}
