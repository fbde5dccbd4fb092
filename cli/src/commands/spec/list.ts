// fizz spec list [--specdir specs]: every resource on the platform of this deployment's uid.
import type { Command } from "commander";
import { toDocs } from "../../spec/save.js";
import { adminApi, run } from "../../context.js";
import { formatTable, age } from "../../output.js";
import { kindOfValue, nameOf, namespaceOf } from "../../spec/format.js";
import { ownedBy, readPlatform } from "../../spec/platform.js";
import { deploymentOf, specDirOption } from "./common.js";

interface Opts {
  specdir: string;
}

export function register(group: Command): void {
  specDirOption(group.command("list").description("list the resources on the platform that belong to this spec directory's deployment")).action(
    run<Opts>(async (o, g) => {
      const config = await deploymentOf(o.specdir);
      const owned = ownedBy(await readPlatform(await adminApi()), config.uid);
      if (g.output !== "table") return void process.stdout.write(toDocs(owned, g.output));
      process.stdout.write(
        formatTable(
          ["KIND", "NAME", "NAMESPACE", "AGE"],
          owned.map((v) => [kindOfValue(v).info.name, nameOf(v), namespaceOf(v), age(v.metadata?.creationTimestamp)]),
        ),
      );
    }),
  );
}
