import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The addresses `fizz up` recorded in <state>/up.json. */
export function upAddresses(stateDir: string): { router: string; admin: string; executor: string; storage: string } {
  return JSON.parse(readFileSync(join(stateDir, "up.json"), "utf8"));
}
