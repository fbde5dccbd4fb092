// A multipart upload driven part by part, so the caller decides when (and whether) the object
// appears: complete() after verification, abort() otherwise.
import type * as Minio from "minio";

export class MultipartWriter {
  private readonly etags: Array<{ part: number; etag: string }> = [];
  private done = false;

  private constructor(
    private readonly client: Minio.Client,
    private readonly bucket: string,
    readonly objectName: string,
    private readonly uploadId: string,
  ) {}

  static async start(client: Minio.Client, bucket: string, objectName: string, headers: Record<string, string>): Promise<MultipartWriter> {
    return new MultipartWriter(client, bucket, objectName, await client.initiateNewMultipartUpload(bucket, objectName, headers));
  }

  get parts(): number {
    return this.etags.length;
  }

  async upload(data: Buffer): Promise<void> {
    const part = this.etags.length + 1;
    const r = await this.client.uploadPart(
      { bucketName: this.bucket, objectName: this.objectName, uploadID: this.uploadId, partNumber: part, headers: {} },
      data,
    );
    this.etags.push({ part, etag: r.etag });
  }

  async complete(): Promise<void> {
    await this.client.completeMultipartUpload(this.bucket, this.objectName, this.uploadId, this.etags);
    this.done = true;
  }

  /** Drops the parts uploaded so far; the object never appears. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.client.abortMultipartUpload(this.bucket, this.objectName, this.uploadId);
  }
}
