// ArchiveUploadSpecs → archive bytes. Globs (include, then exclude) are relative to the archive's
// rootdir (default: the spec directory's parent, as in Fission); a glob naming a directory takes
// everything below it. One file is packaged the way `--code` / `--deploy` package one file (an
// existing zip or tar.gz as it is, anything else zipped under its own name); several are zipped
// with their paths relative to rootdir. Zips are deterministic, so the sha256 says whether
// anything changed, and a cache keyed on names, sizes and mtimes skips re-zipping unchanged trees.
import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import picomatch from "picomatch";
import { packagePath } from "../code.js";
import type { ArchiveSpec } from "./format.js";

export interface MatchedFiles {
  /** POSIX paths relative to rootdir, sorted. */
  files: string[];
  /** Include globs that matched nothing. */
  empty: string[];
}

export interface BuiltArchive {
  name: string;
  zip: Buffer;
  sha256: string;
  files: string[];
}

const SKIP = new Set([".git"]);

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (SKIP.has(e.name)) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.push(`${r}/`);
      await walk(root, r, out);
    } else if (e.isFile() || e.isSymbolicLink()) out.push(r);
  }
}

/** The files an archive spec selects, and the include globs that select none. */
export async function matchArchive(a: ArchiveSpec): Promise<MatchedFiles> {
  try {
    if (!(await stat(a.rootdir)).isDirectory()) return { files: [], empty: [...a.include] };
  } catch {
    return { files: [], empty: [...a.include] };
  }
  // Walk only below each glob's fixed prefix, so "src/*.js" does not read node_modules.
  const all = new Set<string>();
  for (const base of new Set(a.include.map((g) => picomatch.scan(g).base.replace(/^\.\/?/, "")))) {
    const found: string[] = [];
    await walk(a.rootdir, base, found);
    try {
      const st = await lstat(join(a.rootdir, base));
      if (base && st.isFile()) found.push(base);
    } catch {
      /* no such base: the glob matches nothing */
    }
    for (const f of found) all.add(f);
  }
  const excluded = a.exclude.length ? picomatch(a.exclude, { dot: true }) : () => false;
  const isExcluded = (f: string) => {
    const parts = f.replace(/\/$/, "").split("/");
    return parts.some((_, i) => excluded(parts.slice(0, i + 1).join("/")));
  };
  const list = [...all];
  const plain = list.filter((x) => !x.endsWith("/"));
  const files = new Set<string>();
  const empty: string[] = [];
  for (const g of a.include) {
    const m = picomatch(g.replace(/^\.\//, ""), { dot: true });
    let hit = false;
    for (const f of list) {
      const path = f.replace(/\/$/, "");
      if (!m(path)) continue;
      // A matched directory brings everything below it.
      for (const x of f.endsWith("/") ? plain.filter((p) => p.startsWith(`${path}/`)) : [path]) {
        if (isExcluded(x)) continue;
        files.add(x);
        hit = true;
      }
    }
    if (!hit) empty.push(g);
  }
  return { files: [...files].sort(), empty };
}

interface CacheEntry {
  key: string;
  built: BuiltArchive;
}

/** Builds archives, remembering the last one per name so an unchanged tree is not zipped again. */
export class ArchiveBuilder {
  private cache = new Map<string, CacheEntry>();

  async build(a: ArchiveSpec): Promise<BuiltArchive> {
    const { files, empty } = await matchArchive(a);
    if (files.length === 0) throw new Error(`archive "${a.name}": ${empty.length ? `include ${empty.map((g) => `"${g}"`).join(", ")} matches` : "selects"} no file in ${a.rootdir}`);
    const stats = await Promise.all(files.map(async (f) => lstat(join(a.rootdir, f))));
    const key = JSON.stringify([a.rootdir, files, stats.map((s) => [s.size, s.mtimeMs, s.mode])]);
    const hit = this.cache.get(a.name);
    if (hit && hit.key === key) return hit.built;
    const { sha256Hex } = await import("@fizz/clients/storage");
    let zip: Buffer;
    if (files.length === 1) zip = (await packagePath(join(a.rootdir, files[0]!), { flag: `archive ${a.name}:`, archives: true })).zip;
    else {
      const archive = await import("@fizz/archive");
      zip = await archive.zipFiles(files.map((f, i) => ({ name: f, path: join(a.rootdir, f), mode: stats[i]!.mode & 0o777 })));
    }
    const built = { name: a.name, zip, sha256: sha256Hex(zip), files };
    this.cache.set(a.name, { key, built });
    return built;
  }
}
