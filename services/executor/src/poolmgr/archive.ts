// Deployment archives: fetched once per package version (literal, storage://, http(s)://),
// checksum-verified, cached in memory, and unpacked safely into an instance's directory.
import { join } from "node:path";
import { request } from "undici";
import { FizzError, precondition } from "@fizz/common";
import { downloadArchive, keyOf, sha256Hex, storageIdOf, type StorageClient } from "@fizz/clients";
import { detectFormat, extractArchive } from "@fizz/archive";
import type { Package } from "@fizz/proto";

export interface FetchedArchive {
  data: Buffer;
  /** A single source file rather than a zip/tar archive. */
  plain: boolean;
  /** A plain file that looks like an ES module (written as .mjs). */
  esm: boolean;
}

const CACHE_BYTES = 64 * 1024 * 1024;

export class ArchiveFetcher {
  private readonly cache = new Map<string, FetchedArchive>();
  private cached = 0;
  private readonly inflight = new Map<string, Promise<FetchedArchive>>();

  constructor(
    private readonly storage: () => StorageClient,
    private readonly maxBytes: number,
  ) {}

  /** The package's deployment archive; concurrent and repeated calls share one download. */
  fetch(pkg: Package): Promise<FetchedArchive> {
    const meta = pkg.metadata;
    const key = `${keyOf(meta?.namespace, meta?.name ?? "")}@${meta?.resourceVersion ?? ""}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Refresh LRU position.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return Promise.resolve(hit);
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.load(pkg)
        .then((a) => (this.remember(key, a), a))
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private remember(key: string, a: FetchedArchive) {
    if (a.data.length > CACHE_BYTES / 4) return;
    this.cache.set(key, a);
    this.cached += a.data.length;
    for (const [k, v] of this.cache) {
      if (this.cached <= CACHE_BYTES) break;
      this.cache.delete(k);
      this.cached -= v.data.length;
    }
  }

  private async load(pkg: Package): Promise<FetchedArchive> {
    const name = pkg.metadata?.name ?? "";
    const dep = pkg.spec?.deployment;
    let data: Buffer;
    if (dep?.literal.length && dep.type !== "url") {
      data = Buffer.from(dep.literal.buffer, dep.literal.byteOffset, dep.literal.byteLength);
    } else if (dep?.url) {
      const id = storageIdOf(dep.url);
      data = id !== undefined ? await downloadArchive(this.storage(), id, { maxBytes: this.maxBytes }) : await this.httpGet(dep.url, name);
    } else {
      throw precondition(`package "${name}" has no deployment archive`, "NO_DEPLOYMENT_ARCHIVE");
    }
    if (data.length > this.maxBytes)
      throw new FizzError("RESOURCE_EXHAUSTED", `package "${name}": deployment archive is larger than ${this.maxBytes} bytes`);
    const sum = dep.checksum?.sum;
    if (sum && (!dep.checksum?.type || dep.checksum.type === "sha256") && sha256Hex(data) !== sum.toLowerCase())
      throw new FizzError("DATA_LOSS", `package "${name}": deployment archive checksum mismatch (expected sha256 ${sum})`, "CHECKSUM_MISMATCH");
    const plain = detectFormat(data) === "file";
    return { data, plain, esm: plain && /^\s*(export\s|import\s*[\w{*])/m.test(data.subarray(0, 64 * 1024).toString("utf8")) };
  }

  private async httpGet(url: string, pkgName: string): Promise<Buffer> {
    if (!/^https?:\/\//.test(url)) throw precondition(`package "${pkgName}": unsupported archive url "${url}"`);
    const res = await request(url, { maxRedirections: 3, headersTimeout: 30_000, bodyTimeout: 60_000 } as Parameters<typeof request>[1]);
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new FizzError("UNAVAILABLE", `package "${pkgName}": GET ${url} returned ${res.statusCode}`);
    }
    const parts: Buffer[] = [];
    let size = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > this.maxBytes) {
        res.body.destroy();
        throw new FizzError("RESOURCE_EXHAUSTED", `package "${pkgName}": archive at ${url} is larger than ${this.maxBytes} bytes`);
      }
      parts.push(c);
    }
    return Buffer.concat(parts);
  }
}

/**
 * Unpacks into <workDir>/userfunc and returns the path to give the runtime: the directory, or
 * the file itself for a plain-file archive. A plain file is named after the entry point's module
 * ("hello.handler" → hello.js) so the runtime's "file.export" form matches it. Interface v1
 * runtimes load a fixed path instead: userfunc/user (file or directory).
 */
export async function unpack(a: FetchedArchive, workDir: string, maxBytes: number, functionName: string, v1 = false): Promise<string> {
  const dir = join(workDir, "userfunc");
  if (v1) {
    await extractArchive(a.data, a.plain ? dir : join(dir, "user"), { maxBytes, fileName: "user" });
    return join(dir, "user");
  }
  const base = functionName.includes(".") ? functionName.slice(0, functionName.lastIndexOf(".")).replace(/\.(m|c)?js$/, "") : "user";
  const fileName = `${/^[\w-]+$/.test(base) ? base : "user"}${a.esm ? ".mjs" : ".js"}`;
  await extractArchive(a.data, dir, { maxBytes, fileName });
  return a.plain ? join(dir, fileName) : dir;
}
