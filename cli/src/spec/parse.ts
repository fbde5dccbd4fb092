// Reading a spec directory: every *.yaml / *.yml below it (less what .specignore names), each
// file one or more YAML documents. Documents become the deployment config, archive upload specs
// or resources (convert.ts); every problem is collected with its file and line, nothing stops
// at the first one.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve, dirname } from "node:path";
import picomatch from "picomatch";
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from "yaml";
import { convert, type Path } from "./convert.js";
import {
  API_VERSIONS,
  FISSION_API,
  IGNORE_FILE,
  keyOf,
  specKind,
  type ArchiveSpec,
  type Loc,
  type SpecSet,
} from "./format.js";
import { usage } from "../errors.js";

/** Line (1-based) of the node at `path`, or of its nearest ancestor that exists. */
function lineFinder(doc: Document, lc: LineCounter): (path: Path) => number {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) {
        // A key's line is where its pair starts: find the key node when the value is empty.
        const parent = n > 0 ? (n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true)) : undefined;
        if (isMap(parent)) {
          const pair = parent.items.find((it) => (it.key as { value?: unknown })?.value === path[n - 1]);
          const kr = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
          if (kr) return lc.linePos(kr[0]).line;
        }
        return lc.linePos(range[0]).line;
      }
      if (n > 0 && isSeq(doc.getIn(path.slice(0, n - 1), true))) continue;
    }
    return 1;
  };
}

async function listFiles(dir: string, ignore: (rel: string) => boolean, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (ignore(rel)) continue;
    if (e.isDirectory()) out.push(...(await listFiles(dir, ignore, rel)));
    else if (/\.ya?ml$/i.test(e.name)) out.push(rel);
  }
  return out;
}

async function ignoreMatcher(dir: string): Promise<(rel: string) => boolean> {
  let text = "";
  try {
    text = await readFile(join(dir, IGNORE_FILE), "utf8");
  } catch {
    /* no .specignore */
  }
  const globs = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const m = globs.length ? picomatch(globs, { dot: true }) : () => false;
  return (rel) => m(rel) || rel.split("/").some((s) => s.startsWith("."));
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === "string") ? v : undefined);

/** Reads and converts every document below `dir`; `namespace` fills in documents without one. */
export async function readSpecs(dir: string, namespace = "default"): Promise<SpecSet> {
  const abs = resolve(dir);
  try {
    if (!(await stat(abs)).isDirectory()) throw usage(`${dir} is not a directory`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw usage(`no spec directory ${dir} (create one with: fizz spec init)`);
    throw err;
  }
  const set: SpecSet = { dir: abs, root: dirname(abs), files: [], archives: [], resources: [], declared: new Set(), errors: [], warnings: [] };
  set.files = await listFiles(abs, await ignoreMatcher(abs));
  for (const rel of set.files) {
    const file = relative(process.cwd(), join(abs, rel)) || rel;
    const text = await readFile(join(abs, rel), "utf8");
    const lc = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter: lc })) {
      if (doc.errors.length) {
        for (const e of doc.errors) set.errors.push({ loc: { file, line: e.linePos?.[0]?.line ?? 1 }, message: `YAML: ${e.message.split("\n")[0]}` });
        continue;
      }
      // An empty document (a trailing "---", or only comments).
      if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
      readDocument(set, doc, lc, file, namespace);
    }
  }
  return set;
}

function readDocument(set: SpecSet, doc: Document, lc: LineCounter, file: string, namespace: string): void {
  const lineOf = lineFinder(doc, lc);
  const loc = (path: Path = []): Loc => ({ file, line: lineOf(path) });
  const js = doc.toJS() as unknown;
  if (typeof js !== "object" || js === null || Array.isArray(js)) {
    set.errors.push({ loc: loc(), message: "a spec document must be a mapping with apiVersion and kind" });
    return;
  }
  const d = js as Record<string, unknown>;
  const kind = typeof d.kind === "string" ? d.kind : "";
  const apiVersion = typeof d.apiVersion === "string" ? d.apiVersion : "";
  if (!kind) return void set.errors.push({ loc: loc(), message: "kind is required" });
  // Fission writes ArchiveUploadSpec without an apiVersion.
  if (!(kind === "ArchiveUploadSpec" && !apiVersion) && !API_VERSIONS.includes(apiVersion))
    return void set.errors.push({ loc: loc(["apiVersion"]), message: `apiVersion "${apiVersion}" is not supported: use ${API_VERSIONS.join(" or ")}` });
  const fission = apiVersion === FISSION_API;
  if (kind === "DeploymentConfig") {
    const name = typeof d.name === "string" ? d.name : "";
    const uid = typeof d.uid === "string" ? d.uid : "";
    if (!uid) set.errors.push({ loc: loc(["uid"]), message: "DeploymentConfig.uid is required (fizz spec init writes one)" });
    if (set.config) set.errors.push({ loc: loc(), message: `a second DeploymentConfig (the first is at ${set.config.loc.file}:${set.config.loc.line})` });
    else set.config = { name, uid, fission, loc: loc() };
    return;
  }
  if (kind === "ArchiveUploadSpec") {
    const extra = Object.keys(d).filter((k) => !["apiVersion", "kind", "name", "rootdir", "include", "exclude"].includes(k));
    for (const k of extra) set.errors.push({ loc: loc([k]), message: `unknown field ${k} (an ArchiveUploadSpec has name, rootdir, include, exclude)` });
    const include = strings(d.include ?? []);
    const exclude = strings(d.exclude ?? []);
    if (typeof d.name !== "string" || !d.name) set.errors.push({ loc: loc(["name"]), message: "ArchiveUploadSpec.name is required" });
    else if (!include || !include.length) set.errors.push({ loc: loc(["include"]), message: `archive "${d.name}": include must be a list of globs` });
    else if (!exclude) set.errors.push({ loc: loc(["exclude"]), message: `archive "${d.name}": exclude must be a list of globs` });
    else if (d.rootdir !== undefined && typeof d.rootdir !== "string") set.errors.push({ loc: loc(["rootdir"]), message: `archive "${d.name}": rootdir must be a path` });
    else {
      const rootdir = resolve(set.root, (d.rootdir as string | undefined) || ".");
      const a: ArchiveSpec = { name: d.name, rootdir, include, exclude, loc: loc() };
      set.archives.push(a);
    }
    return;
  }
  const k = specKind(kind);
  if (!k) return void set.errors.push({ loc: loc(["kind"]), message: `unknown kind "${kind}"` });
  const m = d.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (typeof m?.name === "string") set.declared.add(keyOf(k, typeof m.namespace === "string" && m.namespace ? m.namespace : namespace, m.name));
  const out = convert(k, d, fission);
  for (const e of out.errors) set.errors.push({ loc: loc(e.path), message: e.message });
  for (const w of out.warnings) set.warnings.push({ loc: loc(w.path), message: w.message });
  if (!out.value) return;
  const meta = out.value.metadata!;
  if (!meta.namespace) meta.namespace = namespace;
  set.resources.push({ kind: k, value: out.value, loc: loc(), lineOf });
}
