// fizz recorder delete --name N
import type { Command } from "commander";
import { Kind } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";

export function register(group: Command): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete a recorder (its records stay until their retention ends)")
    .requiredOption("--name <name>", "recorder name")
    .action(
      run<{ name: string }>(async (o, g) => {
        await (await adminApi()).delete({ kind: Kind.RECORDER, namespace: g.namespace, name: o.name });
        say(`recorder '${o.name}' deleted`);
      }),
    );
}
