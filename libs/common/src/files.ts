// Crash-safe file writes, shared by every service that keeps state under FIZZ_STATE_DIR.
import { open, rename, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** Temp files are hidden and end in .tmp, so the loader can tell them apart and clean them up. */
export const isTempFile = (name: string) => name.startsWith(".") && name.endsWith(".tmp");

/**
 * Replaces `path` with `data` so that a crash leaves either the old or the new content, never a
 * partial file: write a temp file in the same directory, fsync it, rename over, fsync the dir.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Makes a rename or unlink in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
