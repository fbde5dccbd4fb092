// Building Package resources from flags, shared by `pkg create/update` and `fn create/update`:
// --src (source to build), --deploy (ready to run) or --code (one file, ready to run).
import { create } from "@bufbuild/protobuf";
import { ObjectRefSchema, PackageSchema, PackageSpecSchema, PackageStatusSchema, type Package } from "@fizz/proto";
import { packageCode, packageSource, toArchive, type Uploader } from "./code.js";
import { usage } from "./errors.js";

export interface ArchiveFlags {
  /** Source: a directory, archive or file the builder turns into a deployment. */
  src?: string;
  /** Deployment: a directory, archive or file that runs as it is. */
  deploy?: string;
  /** One source file that runs as it is (`fn --code`). */
  code?: string;
  /** Build command for --src (default: the environment's). */
  buildcmd?: string;
}

export interface PackageInput extends ArchiveFlags {
  name: string;
  namespace: string;
  env: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface MadePackage {
  pkg: Package;
  /** Default entry point when the archive holds a single file. */
  functionName?: string;
}

/** Which archive flag was given; at most one of them (exactly one when `required`). */
export function archiveFlag(f: ArchiveFlags, required: boolean, allowed: Array<"src" | "deploy" | "code"> = ["src", "deploy", "code"]): "src" | "deploy" | "code" | undefined {
  const given = allowed.filter((k) => f[k] !== undefined);
  const names = allowed.map((k) => `--${k}`);
  const list = names.length > 2 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join(" or ");
  if (given.length > 1) throw usage(`give ${list}, not several of them`);
  if (required && given.length === 0) throw usage(`give ${list}`);
  if (f.buildcmd !== undefined && f.deploy !== undefined) throw usage("--buildcmd builds source code: use it with --src, not --deploy");
  if (f.buildcmd !== undefined && f.code !== undefined) throw usage("--buildcmd builds source code: use it with --src, not --code");
  return given[0];
}

/** A new Package from --src / --deploy / --code. */
export async function makePackage(o: PackageInput, upload: Uploader): Promise<MadePackage> {
  const which = archiveFlag(o, true);
  const pkg = create(PackageSchema, {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels ?? {}, annotations: o.annotations ?? {} },
    spec: { environment: { name: o.env, namespace: o.namespace }, buildcmd: o.buildcmd ?? "" },
  });
  const functionName = await setArchive(pkg, which!, o, upload);
  return { pkg, functionName };
}

/**
 * Puts the archive named by --src / --deploy / --code into the package. New source means a new
 * build (the status goes back to pending, the stale deployment is dropped); a new deployment
 * replaces any source, so the package is ready to run at once. Returns the default entry point
 * when the archive is a single file.
 */
export async function setArchive(pkg: Package, which: "src" | "deploy" | "code", f: ArchiveFlags, upload: Uploader): Promise<string | undefined> {
  const spec = (pkg.spec ??= create(PackageSpecSchema));
  if (which === "code") {
    const code = await packageCode(f.code!);
    spec.deployment = await toArchive(code.zip, upload);
    spec.source = undefined;
    pkg.status = undefined; // the controller recomputes it: succeeded
    return code.functionName;
  }
  const made = await packageSource(which === "src" ? f.src! : f.deploy!, which === "src" ? "--src" : "--deploy");
  const archive = await toArchive(made.zip, upload);
  if (which === "src") {
    spec.source = archive;
    spec.deployment = undefined;
    markPending(pkg);
  } else {
    spec.deployment = archive;
    spec.source = undefined;
    pkg.status = undefined;
  }
  return made.functionName;
}

/** Applies `pkg update` / `fn update` changes; true when the package must be built again. */
export async function updatePackage(pkg: Package, f: ArchiveFlags & { env?: string }, upload: Uploader): Promise<{ rebuild: boolean; functionName?: string }> {
  const which = archiveFlag(f, false);
  const spec = (pkg.spec ??= create(PackageSpecSchema));
  let functionName: string | undefined;
  if (which) functionName = await setArchive(pkg, which, f, upload);
  let rebuild = which === "src";
  if (f.env !== undefined && f.env !== spec.environment?.name) {
    spec.environment = create(ObjectRefSchema, { name: f.env, namespace: pkg.metadata?.namespace ?? "default" });
    rebuild ||= spec.source !== undefined;
  }
  if (f.buildcmd !== undefined) {
    if (!spec.source) throw usage(`package '${pkg.metadata?.name}' has no source to build; give --src with --buildcmd`);
    rebuild ||= f.buildcmd !== spec.buildcmd;
    spec.buildcmd = f.buildcmd;
  }
  if (rebuild) markPending(pkg);
  return { rebuild, functionName };
}

/** Asks the builder to build the package again. */
export function markPending(pkg: Package): void {
  pkg.status = create(PackageStatusSchema, { buildstatus: "pending", buildlog: "", lastUpdateTimestamp: new Date().toISOString() });
}

/** Whether a package still has to be built before it can run. */
export const isBuilding = (pkg: Package | undefined) => pkg?.status?.buildstatus === "pending" || pkg?.status?.buildstatus === "running";
