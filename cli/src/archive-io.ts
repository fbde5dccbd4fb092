// Reading a Package's archives back (getsrc / getdeploy) and describing them (pkg info):
// literal bytes, storage://<id> from the storage service, or an http(s) URL; the sha256 the
// package records is checked whatever the source.
import { writeFile } from "node:fs/promises";
import type { Archive } from "@fizz/proto";
import { FizzError } from "@fizz/common/errors";
import { usage } from "./errors.js";

/** "812 B", "3.4 KiB", "1.2 MiB". */
export function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Whether an archive is set at all (the controller clears empty ones). */
export const hasArchive = (a: Archive | undefined): a is Archive => !!a && (a.literal.length > 0 || a.url !== "" || a.type !== "");

/** The archive's size: literal length, else what storage says (undefined when it cannot tell). */
export async function archiveSize(a: Archive): Promise<number | undefined> {
  if (a.type === "literal" || a.literal.length > 0) return a.literal.length;
  const { storageIdOf } = await import("@fizz/clients/storage");
  const id = storageIdOf(a.url);
  if (!id) return undefined;
  try {
    const { storageApi } = await import("./context.js");
    const info = await (await storageApi()).stat({ id }, { timeoutMs: 3000 });
    return Number(info.size);
  } catch {
    return undefined;
  }
}

/** "literal, 1.2 KiB, sha256 0123456789ab" or "url storage://…, 300.0 KiB, sha256 …". */
export function describeArchive(a: Archive, size: number | undefined): string {
  const where = a.type === "url" || (a.type === "" && a.url) ? `url ${a.url}` : "literal";
  const sum = a.checksum?.sum ? `sha256 ${a.checksum.sum.slice(0, 12)}` : "no checksum";
  return `${where}, ${size === undefined ? "size unknown" : humanSize(size)}, ${sum}`;
}

/** The archive's bytes, checked against its recorded sha256. */
export async function archiveBytes(a: Archive, what: string): Promise<Buffer> {
  let data: Buffer;
  const { sha256Hex, storageIdOf, downloadArchive } = await import("@fizz/clients/storage");
  if (a.type === "literal" || (a.type === "" && !a.url)) data = Buffer.from(a.literal);
  else {
    const id = storageIdOf(a.url);
    if (id !== undefined) {
      const { storageApi } = await import("./context.js");
      data = await downloadArchive(await storageApi(), id);
    } else if (/^https?:\/\//.test(a.url)) {
      const res = await fetch(a.url);
      if (!res.ok) throw new FizzError("UNAVAILABLE", `${what}: ${a.url} answered HTTP ${res.status}`);
      data = Buffer.from(await res.arrayBuffer());
    } else throw new FizzError("UNIMPLEMENTED", `${what}: cannot fetch ${a.url} (only storage:// and http(s) URLs)`);
  }
  const want = a.checksum?.sum;
  if (want && sha256Hex(data) !== want.toLowerCase())
    throw new FizzError("DATA_LOSS", `${what}: checksum mismatch (package records sha256 ${want.slice(0, 12)}…, got ${sha256Hex(data).slice(0, 12)}…)`);
  return data;
}

/** Writes bytes to a file, or to stdout for "-". */
export async function writeOut(target: string, data: Uint8Array): Promise<void> {
  if (target === "-") {
    await new Promise<void>((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
    return;
  }
  try {
    await writeFile(target, data);
  } catch (err) {
    throw usage(`--output ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
