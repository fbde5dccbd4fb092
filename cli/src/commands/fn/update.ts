// fizz fn update --name N [--code FILE | --src PATH [--buildcmd C] | --deploy PATH | --pkg P]
//                [--env E] [--entrypoint e] [--fntimeout s] ...
// --code / --deploy replace the deployment of the function's package in place, --src its source
// (which is then built again); the controller then bumps the function, so the router and
// executor pick up the new code.
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { ExecutionStrategySchema, FunctionPackageRefSchema, FunctionSpecSchema, InvokeStrategySchema, ObjectRefSchema, PackageRefSchema } from "@fizz/proto";
import type { AdminClient } from "@fizz/clients";
import { adminApi, run, say } from "../../context.js";
import { lazyUploader } from "../../code.js";
import { usage } from "../../errors.js";
import { intArg } from "../../flags.js";
import { archiveFlag, isBuilding, updatePackage, type ArchiveFlags } from "../../package.js";
import { printResources } from "../../output.js";
import { getResource, unwrap } from "../../resources.js";
import { FN_TABLE } from "./table.js";

interface Opts {
  name: string;
  code?: string;
  src?: string;
  deploy?: string;
  buildcmd?: string;
  pkg?: string;
  env?: string;
  entrypoint?: string;
  fntimeout?: number;
  idletimeout?: number;
  concurrency?: number;
  requestsperpod?: number;
  executortype?: string;
}

/** Puts the new archive into the function's package; returns the package as updated. */
async function updateCode(api: AdminClient, namespace: string, pkgName: string, f: ArchiveFlags, env?: string) {
  const { wrap } = await import("@fizz/clients/resources");
  const pkg = await getResource(api, "package", namespace, pkgName);
  const { functionName } = await updatePackage(pkg, { ...f, env }, lazyUploader);
  const updated = unwrap(await api.update({ resource: wrap(pkg) }), "package");
  return { pkg: updated, functionName };
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
    .option("--code <file>", "new single source file (updates the function's package)")
    .option("--src <path>", "new source to build: directory, .zip / .tar.gz or file (updates the function's package)")
    .option("--deploy <path>", "new prebuilt code: directory, .zip / .tar.gz or file (updates the function's package)")
    .option("--buildcmd <cmd>", "build command of the function's package (rebuilds it)")
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
        if (Object.values(changes).every((v) => v === undefined))
          throw usage("nothing to change: give --code, --src, --deploy, --pkg, --env, --entrypoint or a setting");
        const which = archiveFlag(o, false);
        if (o.pkg !== undefined && (which !== undefined || o.buildcmd !== undefined)) throw usage(`give --${which ?? "buildcmd"} or --pkg, not both`);
        const api = await adminApi();
        const ns = g.namespace;
        let fn = await getResource(api, "function", ns, name);
        let codeEntry: string | undefined;
        let building: string | undefined;
        if (which !== undefined || o.buildcmd !== undefined) {
          const pkgName = fn.spec?.package?.packageref?.name;
          if (!pkgName) throw usage(`function '${name}' has no package to update; use --pkg`);
          const up = await updateCode(api, ns, pkgName, o, o.env);
          codeEntry = up.functionName;
          if (isBuilding(up.pkg)) building = pkgName;
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
        if (g.output !== "table") return printResources(fn, g.output, FN_TABLE);
        say(`function '${name}' updated`);
        if (building) {
          say(`package '${building}' is building; the function answers once the build succeeds`);
          say(`follow the build with: fizz pkg info --name ${building}`);
        }
      }),
    );
}
