// The embedded store: one JSON file per resource under <root>/<kind>/<namespace>/<name>.json,
// plus meta.json for the version counter. Everything is also kept in memory; reads never
// touch the disk after load().
import { mkdir, readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fromJson, toJsonString } from "@bufbuild/protobuf";
import { Kind, ResourceSchema, type Resource } from "@fizz/proto";
import { FizzError, silentLogger, type Logger } from "@fizz/common";
import { KINDS, kindByName, kindInfo, kindOf, metaOf, versionOf } from "../kinds.js";
import { isTempFile, syncDir, writeFileAtomic } from "./atomic.js";
import type { LoadedState, ResourceStore } from "./store.js";

const META = "meta.json";

export class FileStore implements ResourceStore {
  private readonly byKind = new Map<Kind, Map<string, Resource>>(KINDS.map((k) => [k.kind, new Map()]));

  constructor(
    /** Usually $FIZZ_STATE_DIR/resources. */
    readonly root: string,
    private readonly log: Logger = silentLogger,
  ) {}

  async load(): Promise<LoadedState> {
    await mkdir(this.root, { recursive: true });
    for (const m of this.byKind.values()) m.clear();
    let max = await this.readMeta();
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) {
        if (isTempFile(entry.name)) await this.removeTemp(join(this.root, entry.name));
        continue;
      }
      const info = kindByName(entry.name);
      if (!info) {
        this.log.warn({ dir: join(this.root, entry.name) }, "ignoring unknown resource kind directory");
        continue;
      }
      for (const ns of await readdir(join(this.root, entry.name), { withFileTypes: true })) {
        if (!ns.isDirectory()) continue;
        const dir = join(this.root, entry.name, ns.name);
        for (const file of await readdir(dir)) {
          const path = join(dir, file);
          if (isTempFile(file)) await this.removeTemp(path);
          else if (file.endsWith(".json")) {
            const r = await this.readResource(path, info.kind, ns.name, file.slice(0, -5));
            this.byKind.get(info.kind)!.set(key(ns.name, file.slice(0, -5)), r);
            max = Math.max(max, versionOf(r));
          }
        }
      }
    }
    const resources = [...this.byKind.values()].flatMap((m) => [...m.values()]);
    this.log.info({ root: this.root, resources: resources.length, resourceVersion: max }, "resources loaded");
    return { resources, resourceVersion: max };
  }

  async get(kind: Kind, namespace: string, name: string): Promise<Resource | undefined> {
    return this.map(kind).get(key(namespace, name));
  }

  async list(kind: Kind, namespace?: string): Promise<Resource[]> {
    const all = [...this.map(kind).values()];
    return namespace === undefined ? all : all.filter((r) => metaOf(r).namespace === namespace);
  }

  async put(resource: Resource): Promise<void> {
    const info = kindOf(resource);
    const { namespace, name } = metaOf(resource);
    const dir = join(this.root, info.name, namespace);
    await this.ensureDir(dir);
    await writeFileAtomic(join(dir, `${name}.json`), toJsonString(ResourceSchema, resource, { prettySpaces: 2 }) + "\n");
    this.map(info.kind).set(key(namespace, name), resource);
  }

  async delete(kind: Kind, namespace: string, name: string, resourceVersion: number): Promise<void> {
    // The counter is otherwise derived from the files; a deletion's version lives only here.
    // Written first, so a crash between the two steps can only skip a version, never reuse one.
    await writeFileAtomic(join(this.root, META), JSON.stringify({ resourceVersion: String(resourceVersion) }) + "\n");
    const dir = join(this.root, kindInfo(kind).name, namespace);
    await unlink(join(dir, `${name}.json`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    await syncDir(dir);
    this.map(kind).delete(key(namespace, name));
  }

  private map(kind: Kind): Map<string, Resource> {
    return this.byKind.get(kind) ?? new Map();
  }

  private async ensureDir(dir: string): Promise<void> {
    const created = await mkdir(dir, { recursive: true });
    // New directories must be durable too, or a crash could lose the file inside them.
    if (created) {
      await syncDir(join(dir, ".."));
      await syncDir(join(dir, "..", ".."));
    }
  }

  private async readMeta(): Promise<number> {
    const path = join(this.root, META);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw err;
    }
    try {
      const v = Number((JSON.parse(text) as { resourceVersion?: unknown }).resourceVersion);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error("resourceVersion is not a non-negative integer");
      return v;
    } catch (err) {
      throw corrupt(path, err);
    }
  }

  private async readResource(path: string, kind: Kind, namespace: string, name: string): Promise<Resource> {
    try {
      const r = fromJson(ResourceSchema, JSON.parse(await readFile(path, "utf8")), { ignoreUnknownFields: true });
      const info = kindOf(r);
      const meta = metaOf(r);
      if (info.kind !== kind || meta.namespace !== namespace || meta.name !== name)
        throw new Error(`it holds ${info.name} "${meta.namespace}/${meta.name}", which belongs in another file`);
      if (!/^[1-9][0-9]*$/.test(meta.resourceVersion)) throw new Error(`bad resourceVersion "${meta.resourceVersion}"`);
      return r;
    } catch (err) {
      throw corrupt(path, err);
    }
  }

  private async removeTemp(path: string): Promise<void> {
    // A temp file is a write that never reached its rename: the old file is still intact.
    this.log.warn({ path }, "removing leftover temp file of an interrupted write");
    await rm(path, { force: true });
  }
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

function corrupt(path: string, err: unknown): FizzError {
  const why = err instanceof Error ? err.message : String(err);
  return new FizzError(
    "DATA_LOSS",
    `cannot load ${path}: ${why}. The controller will not start with unreadable state; fix or remove that file and start again.`,
    "CORRUPT_STATE",
  );
}
