// Where the rest of the checkout is, found from this file (cli/src or cli/dist: same depth), so
// `fizz up` works from any working directory.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const serviceMain = (svc: string) => join(REPO_ROOT, "services", svc, "dist", "main.js");

export const EXAMPLE_FUNCTION = join(REPO_ROOT, "examples", "hello.js");
