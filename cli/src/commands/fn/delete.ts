// fizz fn delete --name N: the function, the routes that point only at it, and the package
// `fn create --code` made for it (kept when it was not made for it or another function uses it).
import type { Command } from "commander";
import type { AdminClient } from "@fizz/clients";
import { adminApi, run, say } from "../../context.js";
import { codeOf } from "../../errors.js";
import { CREATED_FOR_LABEL, deleteResource, findResource, getResource, listResources } from "../../resources.js";

export interface Deleted {
  triggers: string[];
  pkg?: string;
  keptPackage?: string;
}

export async function deleteFunction(api: AdminClient, namespace: string, name: string): Promise<Deleted> {
  const fn = await getResource(api, "function", namespace, name);
  await deleteResource(api, "function", namespace, name);
  const out: Deleted = { triggers: [] };
  for (const t of await listResources(api, "httpTrigger", namespace)) {
    const ref = t.spec?.functionref;
    if (ref && (ref.type === "name" || ref.type === "") && ref.name === name) {
      await deleteResource(api, "httpTrigger", namespace, t.metadata!.name).catch((err) => {
        if (codeOf(err) !== "NOT_FOUND") throw err;
      });
      out.triggers.push(t.metadata!.name);
    }
  }
  const pkgName = fn.spec?.package?.packageref?.name;
  if (pkgName) {
    const pkg = await findResource(api, "package", namespace, pkgName);
    const users = (await listResources(api, "function", namespace)).filter((f) => f.spec?.package?.packageref?.name === pkgName);
    if (pkg?.metadata?.labels[CREATED_FOR_LABEL] === name && users.length === 0) {
      await deleteResource(api, "package", namespace, pkgName);
      out.pkg = pkgName;
    } else if (pkg) out.keptPackage = pkgName;
  }
  return out;
}

export function register(group: Command): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete a function, its routes and the package made for it")
    .requiredOption("--name <name>", "function name")
    .action(
      run<{ name: string }>(async (o, g) => {
        const d = await deleteFunction(await adminApi(), g.namespace, o.name);
        say(`function '${o.name}' deleted`);
        for (const t of d.triggers) say(`route '${t}' deleted`);
        if (d.pkg) say(`package '${d.pkg}' deleted`);
      }),
    );
}
