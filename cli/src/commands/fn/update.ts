// fizz fn update --name N [--code FILE | --pkg P] [--env E] [--entrypoint e] [--fntimeout s] ...
// --code replaces the deployment of the function's package in place; the controller then bumps
// the function, so the router and executor pick up the new code.
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { ExecutionStrategySchema, FunctionPackageRefSchema, FunctionSpecSchema, InvokeStrategySchema, ObjectRefSchema, PackageRefSchema } from "@fizz/proto";
import type { AdminClient } from "@fizz/clients";
import { adminApi, run, say } from "../../context.js";
import { packageCode, storageUploader, toArchive } from "../../code.js";
import { usage } from "../../errors.js";
import { intArg } from "../../flags.js";
import { printResources } from "../../output.js";
import { getResource, unwrap } from "../../resources.js";
import { FN_TABLE } from "./table.js";

interface Opts {
  name: string;
  code?: string;
  pkg?: string;
  env?: string;
  entrypoint?: string;
  fntimeout?: number;
  idletimeout?: number;
  concurrency?: number;
  requestsperpod?: number;
  executortype?: string;
}

/** Puts the file's zip into the package's deployment archive; returns the package name. */
async function updateCode(api: AdminClient, namespace: string, pkgName: string, file: string, env?: string): Promise<string> {
  const { wrap } = await import("@fizz/clients/resources");
  const pkg = await getResource(api, "package", namespace, pkgName);
  const code = await packageCode(file);
  const upload = await storageUploader();
  const spec = pkg.spec!;
  spec.deployment = await toArchive(code.zip, upload);
  spec.source = undefined;
  if (env) spec.environment = create(ObjectRefSchema, { name: env, namespace });
  // A fresh deployment archive is ready to run; let the controller recompute the status.
  pkg.status = undefined;
  await api.update({ resource: wrap(pkg) });
  return code.functionName;
}

/**
 * The entry point after --code replaced the only file: "greet" or "greet.main" follow the new
 * file's name (the zip holds nothing else); undefined when nothing needs to change.
 */
export function retarget(entry: string, newModule: string | undefined): string | undefined {
  if (newModule === undefined || entry === "") return undefined;
  const dot = entry.lastIndexOf(".");
  const next = dot > 0 ? `${newModule}${entry.slice(dot)}` : newModule;
  return next === entry ? undefined : next;
}

export function register(group: Command): void {
  group
    .command("update")
    .description("change a function's code or settings")
    .requiredOption("--name <name>", "function name")
    .option("--code <file>", "new source file (updates the function's package)")
    .option("--pkg <package>", "switch to another existing package")
    .option("--env <env>", "environment")
    .option("--entrypoint <entry>", "entry point")
    .option("--fntimeout <seconds>", "seconds one request may take", intArg)
    .option("--idletimeout <seconds>", "seconds an idle instance is kept", intArg)
    .option("--concurrency <n>", "maximum instances", intArg)
    .option("--requestsperpod <n>", "concurrent requests one instance takes", intArg)
    .option("--executortype <type>", "poolmgr or newdeploy")
    .action(
      run<Opts>(async (o, g) => {
        const { name, ...changes } = o;
        if (Object.values(changes).every((v) => v === undefined)) throw usage("nothing to change: give --code, --pkg, --env, --entrypoint or a setting");
        if (o.code !== undefined && o.pkg !== undefined) throw usage("give --code or --pkg, not both");
        const api = await adminApi();
        const ns = g.namespace;
        let fn = await getResource(api, "function", ns, name);
        let codeEntry: string | undefined;
        if (o.code !== undefined) {
          const pkgName = fn.spec?.package?.packageref?.name;
          if (!pkgName) throw usage(`function '${name}' has no package to update; use --pkg`);
          codeEntry = await updateCode(api, ns, pkgName, o.code, o.env);
          // The package update changed the function's version; read it again before changing it.
          fn = await getResource(api, "function", ns, name);
        }
        const s = (fn.spec ??= create(FunctionSpecSchema));
        const pref = (s.package ??= create(FunctionPackageRefSchema));
        let changed = false;
        const set = <T>(v: T | undefined, apply: (v: T) => void) => {
          if (v !== undefined) {
            apply(v);
            changed = true;
          }
        };
        set(o.env, (v) => (s.environment = create(ObjectRefSchema, { name: v, namespace: ns })));
        set(o.pkg, (v) => (pref.packageref = create(PackageRefSchema, { name: v, namespace: ns })));
        set(o.entrypoint ?? retarget(pref.functionName, codeEntry), (v) => (pref.functionName = v));
        set(o.fntimeout, (v) => (s.functionTimeout = v));
        set(o.idletimeout, (v) => (s.idletimeout = v));
        set(o.concurrency, (v) => (s.concurrency = v));
        set(o.requestsperpod, (v) => (s.requestsPerPod = v));
        set(o.executortype, (v) => {
          const inv = (s.invokeStrategy ??= create(InvokeStrategySchema, { strategyType: "execution" }));
          (inv.executionStrategy ??= create(ExecutionStrategySchema)).executorType = v;
        });
        if (changed) {
          const { wrap } = await import("@fizz/clients/resources");
          fn = unwrap(await api.update({ resource: wrap(fn) }), "function");
        }
        if (g.output === "table") say(`function '${name}' updated`);
        else printResources(fn, g.output, FN_TABLE);
      }),
    );
}
