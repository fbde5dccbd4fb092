// Creating a function the way `fn create` does it (also used by `fizz up` for the example):
// a package from --code / --src / --deploy (or an existing --pkg), the function, and optionally its HTTPTrigger. A later step that fails
// undoes the earlier ones, so a mistake leaves nothing half-made behind.
import { create } from "@bufbuild/protobuf";
import {
  FunctionSchema,
  HTTPTriggerSchema,
  type Function as FnResource,
  type HTTPTrigger,
  type Package,
} from "@fizz/proto";
import type { AdminClient } from "@fizz/clients";
import { checkName } from "@fizz/common/names";
import type { Uploader } from "./code.js";
import { usage } from "./errors.js";
import { archiveFlag, makePackage, type ArchiveFlags } from "./package.js";
import { CREATED_BY_ANNOTATION, CREATED_FOR_LABEL, deleteResource, derivedName, findResource, unwrap } from "./resources.js";

export interface FunctionOptions extends ArchiveFlags {
  name: string;
  namespace: string;
  env: string;
  /** An existing package (instead of --code, --src or --deploy). */
  pkg?: string;
  entrypoint?: string;
  fntimeout?: number;
  idletimeout?: number;
  concurrency?: number;
  requestsperpod?: number;
  executortype?: string;
  url?: string;
  prefix?: string;
  methods?: string[];
  host?: string;
}

export interface Created {
  fn: FnResource;
  pkg?: Package;
  trigger?: HTTPTrigger;
}

export interface TriggerOptions {
  name: string;
  namespace: string;
  functionref: { type: "name"; name: string } | { type: "function-weights"; weights: Record<string, number> };
  url?: string;
  prefix?: string;
  keepPrefix?: boolean;
  methods: string[];
  host?: string;
}

export function buildTrigger(o: TriggerOptions): HTTPTrigger {
  if (o.url !== undefined && o.prefix !== undefined) throw usage("give --url or --prefix, not both");
  if (o.url === undefined && o.prefix === undefined) throw usage("--url or --prefix is required");
  const ref = o.functionref;
  return create(HTTPTriggerSchema, {
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      host: o.host ?? "",
      relativeurl: o.url ?? "",
      ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      keepPrefix: o.keepPrefix ?? false,
      methods: o.methods,
      functionref: ref.type === "name" ? { type: "name", name: ref.name } : { type: "function-weights", functionweights: ref.weights },
    },
  });
}

/** The Function `fn create` makes, with Fission's defaults written out. */
export function buildFunction(o: FunctionOptions, pkgName: string, functionName: string): FnResource {
  return create(FunctionSchema, {
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      environment: { name: o.env, namespace: o.namespace },
      package: { packageref: { name: pkgName, namespace: o.namespace }, functionName },
      invokeStrategy: { strategyType: "execution", executionStrategy: { executorType: o.executortype ?? "poolmgr" } },
      functionTimeout: o.fntimeout ?? 60,
      idletimeout: o.idletimeout ?? 120,
      concurrency: o.concurrency ?? 500,
      requestsPerPod: o.requestsperpod ?? 1,
    },
  });
}

/** The package for --code / --src / --deploy: `<fn>-<random>`, labelled as made for the function. */
export async function functionPackage(o: { name: string; namespace: string; env: string } & ArchiveFlags, upload: Uploader) {
  return makePackage(
    {
      ...o,
      name: derivedName(o.name),
      labels: { [CREATED_FOR_LABEL]: o.name },
      annotations: { [CREATED_BY_ANNOTATION]: "fizz fn create" },
    },
    upload,
  );
}

/** Checks `fn create`'s flags; returns which archive flag was given (undefined: --pkg). */
export function functionArchiveFlag(o: FunctionOptions): "src" | "deploy" | "code" | undefined {
  checkName(o.name, "function name");
  const which = archiveFlag(o, false);
  if ((which === undefined) === (o.pkg === undefined)) throw usage("give one of --code FILE, --src PATH, --deploy PATH or --pkg NAME");
  if (o.pkg !== undefined && o.buildcmd !== undefined) throw usage("--buildcmd builds source code: use it with --src, not --pkg");
  return which;
}

/** The HTTPTrigger `fn create --url/--prefix` makes (GET by default for --url), or undefined. */
export function functionTrigger(o: FunctionOptions, name: string): HTTPTrigger | undefined {
  if (o.url === undefined && o.prefix === undefined) return undefined;
  return buildTrigger({
    name,
    namespace: o.namespace,
    functionref: { type: "name", name: o.name },
    url: o.url,
    prefix: o.prefix,
    methods: o.methods?.length ? o.methods : o.url !== undefined ? ["GET"] : [],
    host: o.host,
  });
}

export async function createFunction(api: AdminClient, o: FunctionOptions, upload: Uploader): Promise<Created> {
  const which = functionArchiveFlag(o);
  const { wrap } = await import("@fizz/clients/resources");
  const undo: Array<() => Promise<void>> = [];
  try {
    let pkgName = o.pkg ?? "";
    let functionName = o.entrypoint ?? "";
    let pkg: Package | undefined;
    if (which !== undefined) {
      const made = await functionPackage({ name: o.name, namespace: o.namespace, env: o.env, code: o.code, src: o.src, deploy: o.deploy, buildcmd: o.buildcmd }, upload);
      pkg = unwrap(await api.create({ resource: wrap(made.pkg) }), "package");
      pkgName = pkg.metadata!.name;
      functionName = o.entrypoint ?? made.functionName ?? "";
      undo.push(() => deleteResource(api, "package", o.namespace, pkgName));
    }
    const fn = unwrap(await api.create({ resource: wrap(buildFunction(o, pkgName, functionName)) }), "function");
    undo.push(() => deleteResource(api, "function", o.namespace, o.name));
    let trigger: HTTPTrigger | undefined;
    if (o.url !== undefined || o.prefix !== undefined) {
      // The trigger takes the function's name unless another trigger already has it.
      const taken = await findResource(api, "httpTrigger", o.namespace, o.name);
      const t = functionTrigger(o, taken ? derivedName(o.name) : o.name)!;
      trigger = unwrap(await api.create({ resource: wrap(t) }), "httpTrigger");
    }
    return { fn, pkg, trigger };
  } catch (err) {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    throw err;
  }
}

/** "GET,POST /path" or "ALL /prefix/*" for a trigger. */
export function describeRoute(t: HTTPTrigger): string {
  const s = t.spec;
  const methods = s?.methods.length ? s.methods.join(",") : s?.method || "ALL";
  const path = s?.prefix !== undefined ? `${s.prefix}/*` : (s?.relativeurl ?? "");
  return `${methods} ${s?.host ? `${s.host}` : ""}${path}`;
}
