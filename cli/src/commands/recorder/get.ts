// fizz recorder get --name N
import type { Command } from "commander";
import { adminApi, run } from "../../context.js";
import { getRecorder, printRecorders } from "./table.js";

export function register(group: Command): void {
  group
    .command("get")
    .description("show a recorder")
    .requiredOption("--name <name>", "recorder name")
    .action(
      run<{ name: string }>(async (o, g) => {
        printRecorders(await getRecorder(await adminApi(), g.namespace, o.name), g.output);
      }),
    );
}
