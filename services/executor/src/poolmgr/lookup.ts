// Reads a Function and what it needs (Environment, Package) from the Informer's cache, with
// errors that tell the user what to do.
import { DEFAULT_NAMESPACE, notFound, precondition } from "@fizz/common";
import { Kind, type Environment, type Function as FnResource, type ObjectRef, type Package } from "@fizz/proto";
import type { Informer } from "@fizz/clients";

export interface FunctionParts {
  fn: FnResource;
  env: Environment;
  pkg: Package;
}

const NOT_BUILT = new Set(["pending", "running", "failed"]);

export function getFunction(informer: Informer, ref: ObjectRef | undefined): FnResource {
  const name = ref?.name ?? "";
  const ns = ref?.namespace || DEFAULT_NAMESPACE;
  if (!name) throw notFound("function name is required");
  const r = informer.get(Kind.FUNCTION, ns, name);
  if (r?.kind.case !== "function") throw notFound(`function "${name}" not found in namespace "${ns}"`, "FUNCTION_NOT_FOUND");
  return r.kind.value;
}

export function resolveParts(informer: Informer, fn: FnResource): FunctionParts {
  const fname = fn.metadata?.name ?? "";
  const ns = fn.metadata?.namespace || DEFAULT_NAMESPACE;
  const envRef = fn.spec?.environment;
  const env = informer.get(Kind.ENVIRONMENT, envRef?.namespace || ns, envRef?.name ?? "");
  if (env?.kind.case !== "environment")
    throw precondition(`function "${fname}": environment "${envRef?.name ?? ""}" not found`, "ENVIRONMENT_NOT_FOUND");
  const pkgRef = fn.spec?.package?.packageref;
  const pkg = informer.get(Kind.PACKAGE, pkgRef?.namespace || ns, pkgRef?.name ?? "");
  if (pkg?.kind.case !== "package")
    throw precondition(`function "${fname}": package "${pkgRef?.name ?? ""}" not found`, "PACKAGE_NOT_FOUND");
  const status = pkg.kind.value.status?.buildstatus ?? "";
  if (NOT_BUILT.has(status)) {
    const pname = pkg.kind.value.metadata?.name ?? "";
    throw precondition(
      `function "${fname}": package "${pname}" is not built (buildstatus: ${status}); ` +
        `see its build log with: fizz pkg info --name ${pname}`,
      "PACKAGE_NOT_BUILT",
    );
  }
  return { fn, env: env.kind.value, pkg: pkg.kind.value };
}
