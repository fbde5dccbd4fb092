// fizz timer showschedule --cron C [--round N]: the next run times, computed here (no platform).
import type { Command } from "commander";
import { run, say } from "../../context.js";
import { roundArg, scheduleLines } from "./table.js";

export function register(group: Command): void {
  group
    .command("showschedule")
    .description("print the next run times of a schedule (UTC) without creating anything")
    .requiredOption("--cron <schedule>", 'e.g. "*/15 * * * *", "0 */30 * * * *", "@every 5s"')
    .option("--round <n>", "how many run times to show (default 1)", roundArg, 1)
    .action(
      run<{ cron: string; round: number }>(async (o) => {
        say(await scheduleLines(o.cron, o.round));
      }),
    );
}
