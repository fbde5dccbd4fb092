// fizz pkg delete --name N: refused by the controller while functions use the package.
import type { Command } from "commander";
import { FizzError } from "@fizz/common/errors";
import { adminApi, run, say } from "../../context.js";
import { codeOf, describeError } from "../../errors.js";
import { deleteResource } from "../../resources.js";

export function register(group: Command): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete a package (refused while functions use it)")
    .requiredOption("--name <name>", "package name")
    .action(
      run<{ name: string }>(async (o, g) => {
        try {
          await deleteResource(await adminApi(), "package", g.namespace, o.name);
        } catch (err) {
          if (codeOf(err) !== "FAILED_PRECONDITION") throw err;
          // The controller names the functions; say what to do about them.
          throw new FizzError(
            "FAILED_PRECONDITION",
            `cannot delete package '${o.name}': ${describeError(err)} (fizz fn delete --name F, or point F at another package with fizz fn update --name F --pkg P)`,
          );
        }
        say(`package '${o.name}' deleted`);
      }),
    );
}
