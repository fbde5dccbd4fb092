// Archives as plain files: <dir>/<id> holds the bytes, <dir>/<id>.json the sidecar
// {id, sha256, size, created}. An archive exists once its sidecar does; both are written to a
// temp file, fsynced and renamed, so a crash never leaves a half-written archive visible.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { FizzError, isFizzError, notFound, silentLogger, type Logger } from "@fizz/common";
import { checkArchiveId, type ArchiveBackend, type ArchiveReader, type PutOptions, type StoredArchive } from "./backend.js";

const CHUNK = 256 * 1024;
const TMP = ".tmp-";
const UUID_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";
const dataLoss = (msg: string, reason = "CORRUPT_ARCHIVE") => new FizzError("DATA_LOSS", msg, reason);

export class FsBackend implements ArchiveBackend {
  constructor(
    readonly dir: string,
    private readonly log: Logger = silentLogger,
  ) {}

  private dataPath = (id: string) => join(this.dir, id);
  private metaPath = (id: string) => join(this.dir, `${id}.json`);

  /** Creates the directory and clears what an interrupted put left: temp files, content without a sidecar. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = new Set(await readdir(this.dir));
    for (const name of names) {
      const orphan = name.startsWith(TMP) || (UUID_NAME.test(name) && !names.has(`${name}.json`));
      if (!orphan) continue;
      this.log.warn({ file: name }, "removing leftover of an interrupted upload");
      await rm(join(this.dir, name), { force: true });
    }
  }

  async put(data: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoredArchive> {
    const id = randomUUID();
    const tmp = join(this.dir, `${TMP}${id}`);
    const hash = createHash("sha256");
    let size = 0;
    let kept = false;
    const fh = await open(tmp, "wx", 0o644);
    let closed = false;
    try {
      for await (const chunk of data) {
        if (opts.signal?.aborted) throw new FizzError("CANCELLED", "upload cancelled");
        size += chunk.length;
        if (size > opts.maxBytes)
          throw new FizzError("RESOURCE_EXHAUSTED", `archive exceeds the ${opts.maxBytes}-byte limit`, "ARCHIVE_TOO_LARGE");
        hash.update(chunk);
        await fh.write(chunk);
      }
      const sha256 = hash.digest("hex");
      if (opts.expectedSha256 && sha256 !== opts.expectedSha256)
        throw dataLoss(`checksum mismatch: received content has sha256 ${sha256}, expected ${opts.expectedSha256}`, "CHECKSUM_MISMATCH");
      if (opts.expectedSize !== undefined && size !== opts.expectedSize)
        throw dataLoss(`size mismatch: received ${size} bytes, expected ${opts.expectedSize}`, "SIZE_MISMATCH");
      await fh.sync();
      await fh.close();
      closed = true;
      // A cancelled gRPC upload can look like a complete one (half-close arrives before the
      // cancel): never commit once the caller has gone.
      if (opts.signal?.aborted) throw new FizzError("CANCELLED", "upload cancelled");
      const info: StoredArchive = { id, sha256, size, created: new Date().toISOString() };
      await rename(tmp, this.dataPath(id));
      await this.writeSidecar(info);
      kept = true;
      return info;
    } finally {
      if (!closed) await fh.close().catch(() => {});
      if (!kept) {
        await rm(tmp, { force: true });
        await rm(this.dataPath(id), { force: true });
      }
    }
  }

  private async writeSidecar(info: StoredArchive): Promise<void> {
    const tmp = join(this.dir, `${TMP}${info.id}.json`);
    const fh = await open(tmp, "wx", 0o644);
    try {
      await fh.writeFile(JSON.stringify(info));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.metaPath(info.id));
    // Make both renames durable.
    const d = await open(this.dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  private async readSidecar(id: string): Promise<StoredArchive> {
    checkArchiveId(id);
    let text: string;
    try {
      text = await readFile(this.metaPath(id), "utf8");
    } catch (err) {
      if (isMissing(err)) throw notFound(`archive ${id} not found`, "ARCHIVE_NOT_FOUND");
      throw err;
    }
    let m: Partial<StoredArchive>;
    try {
      m = JSON.parse(text) as Partial<StoredArchive>;
    } catch {
      throw dataLoss(`archive ${id}: its metadata is unreadable`);
    }
    if (typeof m.sha256 !== "string" || typeof m.size !== "number") throw dataLoss(`archive ${id}: its metadata is incomplete`);
    return { id, sha256: m.sha256, size: m.size, created: m.created ?? "" };
  }

  /** The sidecar, checked against the content's size on disk (cheap; the hash is checked on read). */
  async stat(id: string): Promise<StoredArchive> {
    const info = await this.readSidecar(id);
    let onDisk: number;
    try {
      onDisk = (await stat(this.dataPath(id))).size;
    } catch (err) {
      if (isMissing(err)) throw dataLoss(`archive ${id}: its content is missing`);
      throw err;
    }
    if (onDisk !== info.size) throw dataLoss(`archive ${id} is corrupt: ${onDisk} bytes on disk, ${info.size} recorded`);
    return info;
  }

  async get(id: string): Promise<ArchiveReader> {
    const info = await this.stat(id);
    const path = this.dataPath(id);
    // Opened lazily, so a reader that is never consumed holds no file descriptor.
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const hash = createHash("sha256");
      let size = 0;
      try {
        for await (const c of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
          hash.update(c);
          size += c.length;
          yield c;
        }
      } catch (err) {
        if (isMissing(err)) throw notFound(`archive ${id} not found (deleted while being read)`, "ARCHIVE_NOT_FOUND");
        throw err;
      }
      if (size !== info.size || hash.digest("hex") !== info.sha256)
        throw dataLoss(`archive ${id} is corrupt: its content no longer matches the recorded sha256`);
    }
    return { info, chunks: chunks() };
  }

  async delete(id: string): Promise<void> {
    checkArchiveId(id);
    try {
      await rm(this.metaPath(id)); // the archive is gone once its sidecar is
    } catch (err) {
      if (isMissing(err)) throw notFound(`archive ${id} not found`, "ARCHIVE_NOT_FOUND");
      throw err;
    }
    await rm(this.dataPath(id), { force: true });
  }

  async list(): Promise<StoredArchive[]> {
    const ids = (await readdir(this.dir)).filter((n) => n.endsWith(".json") && UUID_NAME.test(n.slice(0, -5))).map((n) => n.slice(0, -5));
    const out: StoredArchive[] = [];
    for (const id of ids.sort()) {
      try {
        out.push(await this.readSidecar(id));
      } catch (err) {
        // Deleted meanwhile, or unreadable metadata: not a listable archive.
        if (!isFizzError(err)) throw err;
      }
    }
    return out;
  }
}
