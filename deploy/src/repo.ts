// Where things are in the repository, and which services and runtimes exist in it: the
// packaging follows the code, so tests compare the manifests with these.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SERVICES, type ServiceName } from "@fizz/common";

// deploy/{src,dist}/repo.js → the repository root
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const KUBERNETES_DIR = join(REPO_ROOT, "deploy", "kubernetes");

/** Services of ports.ts whose code exists (services/<name>/src/main.ts): each must be deployed. */
export const deployableServices = (): ServiceName[] =>
  (Object.keys(SERVICES) as ServiceName[]).filter((s) => existsSync(join(REPO_ROOT, "services", s, "src", "main.ts")));
