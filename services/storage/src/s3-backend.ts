// Archives as objects in an S3/MinIO bucket: archives/<id> holds the bytes, its user metadata
// the sha256 and size. An archive exists once its object does, and the object only appears
// after the content was hashed and checked: small ones are one PUT, large ones a multipart
// upload completed only after verification (so a mismatch or an oversized upload leaves nothing).
import { createHash, randomUUID, type Hash } from "node:crypto";
import * as Minio from "minio";
import { FizzError, silentLogger, type Logger } from "@fizz/common";
import { checkArchiveId, SHA256_HEX, type ArchiveBackend, type ArchiveReader, type PutOptions, type StoredArchive } from "./backend.js";
import type { S3Config } from "./config.js";
import { MultipartWriter } from "./s3-multipart.js";
import { s3Code, S3Errors } from "./s3-errors.js";

/** S3's minimum part size; parts are buffered in memory, one at a time per upload. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const MAX_CHUNK = 256 * 1024;
const ARCHIVES = "archives/";
/** Headerless multipart uploads land here first, then are copied with their sha256 attached. */
const UPLOADS = "uploads/";
/** Temp objects older than this are leftovers of a crash (another replica may be uploading). */
const STALE_UPLOAD_MS = 24 * 3600_000;
const LIST_CONCURRENCY = 8;

const UUID_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface S3BackendOptions {
  /** Bytes per multipart part (≥ 5 MiB on real S3); smaller archives are one PUT. */
  partSize?: number;
}

const dataLoss = (msg: string, reason = "CORRUPT_ARCHIVE") => new FizzError("DATA_LOSS", msg, reason);

export class S3Backend implements ArchiveBackend {
  readonly client: Minio.Client;
  readonly bucket: string;
  private readonly partSize: number;
  private readonly errors: S3Errors;

  constructor(
    readonly config: S3Config,
    private readonly log: Logger = silentLogger,
    opts: S3BackendOptions = {},
  ) {
    const url = new URL(config.endpoint);
    const useSSL = url.protocol === "https:";
    this.partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    this.bucket = config.bucket;
    this.errors = new S3Errors(url.origin, config.bucket);
    this.client = new Minio.Client({
      endPoint: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
      partSize: Math.max(this.partSize, 5 * 1024 * 1024),
    });
  }

  private key = (id: string) => `${ARCHIVES}${id}`;

  /** Creates the bucket when missing; clears temp objects a crashed upload left long ago. */
  async open(): Promise<void> {
    const run = this.errors.wrap("open");
    const exists = await run(() => this.client.bucketExists(this.bucket));
    if (!exists) {
      try {
        await this.client.makeBucket(this.bucket, this.config.region);
        this.log.info({ bucket: this.bucket, endpoint: this.errors.endpoint }, "created bucket");
      } catch (err) {
        // Another replica created it meanwhile.
        if (!["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].includes(s3Code(err) ?? "")) throw this.errors.toFizz(err, "creating the bucket");
      }
    }
    const cutoff = Date.now() - STALE_UPLOAD_MS;
    for (const o of await run(() => this.listRaw(UPLOADS))) {
      if (!o.name || !o.lastModified || o.lastModified.getTime() > cutoff) continue;
      this.log.warn({ object: o.name }, "removing leftover of an interrupted upload");
      await run(() => this.client.removeObject(this.bucket, o.name!));
    }
  }

  private async listRaw(prefix: string): Promise<Minio.BucketItem[]> {
    const out: Minio.BucketItem[] = [];
    for await (const o of this.client.listObjectsV2(this.bucket, prefix, true) as AsyncIterable<Minio.BucketItem>) out.push(o);
    return out;
  }

  async put(data: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<StoredArchive> {
    const id = randomUUID();
    const hash = createHash("sha256");
    const run = this.errors.wrap(`upload of archive ${id}`);
    const parts: Buffer[] = [];
    let buffered = 0;
    let size = 0;
    let writer: MultipartWriter | undefined;
    const cancelled = () => new FizzError("CANCELLED", "upload cancelled");
    try {
      for await (const chunk of data) {
        if (opts.signal?.aborted) throw cancelled();
        size += chunk.length;
        if (size > opts.maxBytes)
          throw new FizzError("RESOURCE_EXHAUSTED", `archive exceeds the ${opts.maxBytes}-byte limit`, "ARCHIVE_TOO_LARGE");
        hash.update(chunk);
        parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        buffered += chunk.length;
        if (buffered < this.partSize) continue;
        // More than one part: stream the rest as a multipart upload, one part in memory at a time.
        writer ??= await run(() => this.startMultipart(id, opts));
        let rest = Buffer.concat(parts);
        parts.length = 0;
        while (rest.length >= this.partSize) {
          const part = rest.subarray(0, this.partSize);
          await run(() => writer!.upload(part));
          rest = rest.subarray(this.partSize);
        }
        if (rest.length > 0) parts.push(Buffer.from(rest)); // a copy, so the big buffer can go
        buffered = rest.length;
      }
      const sha256 = this.verify(hash, size, opts);
      if (opts.signal?.aborted) throw cancelled();
      const meta = { sha256, size: String(size) };
      if (!writer) {
        await run(() => this.client.putObject(this.bucket, this.key(id), Buffer.concat(parts), size, this.metaHeaders(meta)));
      } else {
        if (buffered > 0) await run(() => writer!.upload(Buffer.concat(parts)));
        await run(() => writer!.complete());
        if (writer.objectName !== this.key(id)) await run(() => this.promote(writer!.objectName, id, meta));
      }
      // A cancelled gRPC upload can look complete (its half-close arrives before the cancel):
      // check again once stored, and take it back; its id was never handed out.
      if (opts.signal?.aborted) {
        await run(() => this.client.removeObject(this.bucket, this.key(id)));
        throw cancelled();
      }
      const st = await run(() => this.client.statObject(this.bucket, this.key(id)));
      return { id, sha256, size, created: st.lastModified.toISOString() };
    } catch (err) {
      await writer?.abort().catch((e: unknown) => this.log.warn({ id, err: (e as Error).message }, "could not abort a multipart upload"));
      throw err;
    }
  }

  private verify(hash: Hash, size: number, opts: PutOptions): string {
    const sha256 = hash.digest("hex");
    if (opts.expectedSha256 && sha256 !== opts.expectedSha256)
      throw dataLoss(`checksum mismatch: received content has sha256 ${sha256}, expected ${opts.expectedSha256}`, "CHECKSUM_MISMATCH");
    if (opts.expectedSize !== undefined && size !== opts.expectedSize)
      throw dataLoss(`size mismatch: received ${size} bytes, expected ${opts.expectedSize}`, "SIZE_MISMATCH");
    return sha256;
  }

  private metaHeaders = (m: { sha256: string; size: string }) => ({
    "Content-Type": "application/octet-stream",
    "x-amz-meta-sha256": m.sha256,
    "x-amz-meta-size": m.size,
  });

  /**
   * Metadata is fixed when a multipart upload starts: with the sha256 and size announced, the
   * upload goes straight to its final name (completed only once they match); without, to a temp
   * name that is copied to the final one with the computed values.
   */
  private startMultipart(id: string, opts: PutOptions): Promise<MultipartWriter> {
    const known = opts.expectedSha256 && opts.expectedSize !== undefined;
    const name = known ? this.key(id) : `${UPLOADS}${id}`;
    const headers = known ? this.metaHeaders({ sha256: opts.expectedSha256!, size: String(opts.expectedSize) }) : {};
    return MultipartWriter.start(this.client, this.bucket, name, headers);
  }

  private async promote(from: string, id: string, meta: { sha256: string; size: string }): Promise<void> {
    try {
      await this.client.copyObject(
        new Minio.CopySourceOptions({ Bucket: this.bucket, Object: from }),
        new Minio.CopyDestinationOptions({ Bucket: this.bucket, Object: this.key(id), MetadataDirective: "REPLACE", UserMetadata: meta }),
      );
    } finally {
      await this.client.removeObject(this.bucket, from);
    }
  }

  async stat(id: string): Promise<StoredArchive> {
    checkArchiveId(id);
    const st = await this.errors.wrap(`archive ${id}`, id)(() => this.client.statObject(this.bucket, this.key(id)));
    const sha256 = st.metaData.sha256 as unknown;
    const recorded = Number(st.metaData.size as unknown);
    if (typeof sha256 !== "string" || !SHA256_HEX.test(sha256) || !Number.isSafeInteger(recorded))
      throw dataLoss(`archive ${id}: its metadata is incomplete`);
    if (st.size !== recorded) throw dataLoss(`archive ${id} is corrupt: ${st.size} bytes stored, ${recorded} recorded`);
    return { id, sha256, size: recorded, created: st.lastModified.toISOString() };
  }

  async get(id: string): Promise<ArchiveReader> {
    const info = await this.stat(id);
    const open = () => this.client.getObject(this.bucket, this.key(id));
    const run = this.errors.wrap(`archive ${id}`, id);
    // Requested lazily, so a reader that is never consumed holds no connection.
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const hash = createHash("sha256");
      let size = 0;
      const body = await run(open);
      try {
        for await (const c of body as AsyncIterable<Buffer>) {
          hash.update(c);
          size += c.length;
          for (let off = 0; off < c.length; off += MAX_CHUNK) yield c.subarray(off, off + MAX_CHUNK);
        }
      } finally {
        body.destroy();
      }
      if (size !== info.size || hash.digest("hex") !== info.sha256)
        throw dataLoss(`archive ${id} is corrupt: its content no longer matches the recorded sha256`);
    }
    return { info, chunks: chunks() };
  }

  async delete(id: string): Promise<void> {
    checkArchiveId(id);
    const run = this.errors.wrap(`archive ${id}`, id);
    // S3 deletes succeed for missing keys: look first, for NOT_FOUND.
    await run(() => this.client.statObject(this.bucket, this.key(id)));
    await run(() => this.client.removeObject(this.bucket, this.key(id)));
  }

  async list(): Promise<StoredArchive[]> {
    const names = await this.errors.wrap("list")(() => this.listRaw(ARCHIVES));
    const ids = names.map((o) => o.name?.slice(ARCHIVES.length) ?? "").filter((n) => UUID_NAME.test(n)).sort();
    const out: Array<StoredArchive | undefined> = new Array(ids.length);
    let next = 0;
    // One HEAD per archive for its metadata, a few at a time.
    const worker = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        out[i] = await this.stat(ids[i]!).catch((err: unknown) => {
          // Deleted meanwhile, or unreadable metadata: not a listable archive.
          if (err instanceof FizzError && (err.code === "NOT_FOUND" || err.code === "DATA_LOSS")) return undefined;
          throw err;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, ids.length) }, worker));
    return out.filter((a): a is StoredArchive => a !== undefined);
  }

  /** For log lines and errors. */
  get where(): string {
    return `${this.errors.endpoint}/${this.bucket}`;
  }
}
