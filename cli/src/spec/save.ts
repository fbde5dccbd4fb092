// `--spec` on create commands: write the resource as YAML into the spec directory instead of
// calling the API, so nobody writes specs from scratch. `saveSpec` is the one helper every
// command uses (`if (o.spec) return saveSpec("timer-x.yaml", [resource])`); `archiveFor` turns a
// --code / --src / --deploy path into an ArchiveUploadSpec the way Fission's `--spec` does.
import { stat, writeFile, appendFile } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import type { KindValue } from "@fizz/clients/resources";
import { stringify } from "yaml";
import { say } from "../context.js";
import { usage } from "../errors.js";
import { ARCHIVE_PREFIX, CONFIG_FILE, FISSION_CONFIG_FILE, FIZZ_API, SPEC_DIR, at, kindOfValue, keyOf, nameOf, namespaceOf } from "./format.js";
import { readSpecs } from "./parse.js";

export interface ArchiveDoc {
  kind: "ArchiveUploadSpec";
  name: string;
  rootdir?: string;
  include: string[];
  exclude?: string[];
}

export type SpecItem = KindValue | ArchiveDoc;

const isArchive = (x: SpecItem): x is ArchiveDoc => (x as ArchiveDoc).kind === "ArchiveUploadSpec";

/** A resource as a spec document: apiVersion, kind, metadata (name, namespace unless default, labels), spec. */
export function specDoc(v: KindValue): Record<string, JsonValue> {
  const k = kindOfValue(v);
  const json = toJson(k.schema, v) as Record<string, JsonValue>;
  const m = (json.metadata ?? {}) as Record<string, JsonValue>;
  const metadata: Record<string, JsonValue> = { name: m.name ?? "" };
  if (m.namespace && m.namespace !== "default") metadata.namespace = m.namespace;
  if (m.labels) metadata.labels = m.labels;
  if (m.annotations) metadata.annotations = m.annotations;
  return { apiVersion: FIZZ_API, kind: k.name, metadata, spec: json.spec ?? {} };
}

/** The archive:// URL naming an ArchiveUploadSpec. */
export const archiveUrl = (name: string) => `${ARCHIVE_PREFIX}${name}`;

/**
 * An ArchiveUploadSpec for a path given on the command line: a file becomes `include: [file]`,
 * a directory `rootdir: dir, include: ["**"]` (its contents, as --src / --deploy package them);
 * paths are relative to the project root (the spec directory's parent) when inside it.
 */
export async function archiveFor(name: string, path: string, flag: string, specDir = SPEC_DIR): Promise<ArchiveDoc> {
  const root = resolve(specDir, "..");
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = (await stat(abs)).isDirectory();
  } catch {
    throw usage(`${flag} ${path}: no such file or directory`);
  }
  const rel = relative(root, abs).split("\\").join("/");
  const inside = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  if (isDir) return { kind: "ArchiveUploadSpec", name, rootdir: inside ? rel : rel === "" ? "." : abs, include: ["**"] };
  if (inside) return { kind: "ArchiveUploadSpec", name, include: [rel] };
  return { kind: "ArchiveUploadSpec", name, rootdir: resolve(abs, ".."), include: [basename(abs)] };
}

async function configured(dir: string): Promise<boolean> {
  for (const f of [CONFIG_FILE, FISSION_CONFIG_FILE])
    try {
      await stat(join(dir, f));
      return true;
    } catch {
      /* try the next */
    }
  return false;
}

/** Writes (or appends to) `<specdir>/<file>`; refuses names the specs already define. */
export async function saveSpec(file: string, items: SpecItem[], o: { specDir?: string } = {}): Promise<string> {
  const dir = o.specDir ?? SPEC_DIR;
  if (!(await configured(dir))) throw usage(`no spec directory here (${dir}/${CONFIG_FILE} is missing); create it with: fizz spec init`);
  const existing = await readSpecs(dir);
  const taken = new Map(existing.resources.map((r) => [keyOf(r.kind, namespaceOf(r.value), nameOf(r.value)), r.loc]));
  const archives = new Map(existing.archives.map((a) => [a.name, a.loc]));
  for (const it of items) {
    const loc = isArchive(it) ? archives.get(it.name) : taken.get(keyOf(kindOfValue(it), namespaceOf(it), nameOf(it)));
    const what = isArchive(it) ? `archive '${it.name}'` : `${kindOfValue(it).info.name} '${nameOf(it)}'`;
    if (loc) throw usage(`the specs already define ${what} (${at(loc)}); edit it there`);
  }
  const docs = items.map((it) => (isArchive(it) ? { ...it } : specDoc(it)));
  const text = docs.map((d) => stringify(d)).join("---\n");
  const target = join(dir, file);
  let exists = true;
  try {
    await stat(target);
  } catch {
    exists = false;
  }
  if (exists) await appendFile(target, `---\n${text}`);
  else await writeFile(target, text);
  const names = items.map((it) => (isArchive(it) ? `archive '${it.name}'` : `${kindOfValue(it).info.name} '${nameOf(it)}'`));
  say(`wrote ${names.join(", ")} to ${target}`);
  return target;
}

/** Resources as spec documents, in JSON or YAML (`spec list -o`). */
export const toDocs = (values: KindValue[], format: "json" | "yaml") =>
  format === "json" ? `${JSON.stringify(values.map(specDoc), null, 2)}\n` : values.map((v) => stringify(specDoc(v))).join("---\n");
