// `pkg create --spec` and `fn create --spec`: the ArchiveUploadSpec for the code, the Package
// pointing at it as archive://<name>, and for functions the Function (+ HTTPTrigger with --url),
// all in one file, the way Fission's `fn create --spec` writes them.
import { extname, basename } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ArchiveSchema, PackageSchema, type Package } from "@fizz/proto";
import { buildFunction, functionArchiveFlag, functionTrigger, type FunctionOptions } from "../deploy.js";
import { derivedName } from "../resources.js";
import { archiveFor, archiveUrl, saveSpec, type ArchiveDoc, type SpecItem } from "./save.js";

export interface PackageSpecInput {
  name: string;
  namespace: string;
  env: string;
  which: "src" | "deploy" | "code";
  path: string;
  buildcmd?: string;
}

/** The archive spec and package for one --src / --deploy / --code path; `functionName` for a single file. */
export async function packageSpec(i: PackageSpecInput): Promise<{ archive: ArchiveDoc; pkg: Package; functionName?: string }> {
  const archive = await archiveFor(i.name, i.path, `--${i.which}`);
  const ref = create(ArchiveSchema, { type: "url", url: archiveUrl(i.name) });
  const pkg = create(PackageSchema, {
    metadata: { name: i.name, namespace: i.namespace },
    spec: {
      environment: { name: i.env, namespace: i.namespace },
      buildcmd: i.buildcmd ?? "",
      ...(i.which === "src" ? { source: ref } : { deployment: ref }),
    },
  });
  const single = archive.include.length === 1 && archive.include[0] !== "**";
  const file = basename(archive.include[0]!);
  return { archive, pkg, functionName: single ? file.slice(0, file.length - extname(file).length) : undefined };
}

/** Writes specs/function-<name>.yaml for `fn create ... --spec`. */
export async function saveFunctionSpec(o: FunctionOptions): Promise<void> {
  const which = functionArchiveFlag(o);
  const items: SpecItem[] = [];
  let pkgName = o.pkg ?? "";
  let functionName = o.entrypoint ?? "";
  if (which) {
    pkgName = derivedName(o.name);
    const made = await packageSpec({ name: pkgName, namespace: o.namespace, env: o.env, which, path: o[which]!, buildcmd: o.buildcmd });
    items.push(made.archive, made.pkg);
    functionName ||= made.functionName ?? "";
  }
  items.push(buildFunction(o, pkgName, functionName));
  const trigger = functionTrigger(o, o.name);
  if (trigger) items.push(trigger);
  await saveSpec(`function-${o.name}.yaml`, items);
}
