// What the spec commands share: the --specdir option and reading the deployment uid.
import type { Command } from "commander";
import { FizzError } from "@fizz/common/errors";
import { SPEC_DIR } from "../../spec/format.js";
import { readSpecs } from "../../spec/parse.js";

export const specDirOption = (c: Command) => c.option("--specdir <dir>", "the spec directory", SPEC_DIR);

/** The deployment config of the spec directory (its uid names what this deployment owns). */
export async function deploymentOf(dir: string) {
  const set = await readSpecs(dir);
  if (!set.config?.uid) throw new FizzError("FAILED_PRECONDITION", `no deployment config with a uid in ${dir} (create one with: fizz spec init)`);
  return set.config;
}
