export type ArchiveFormat = "zip" | "tar.gz" | "tar" | "file";

const startsWith = (buf: Uint8Array, bytes: number[], at = 0) =>
  buf.length >= at + bytes.length && bytes.every((b, i) => buf[at + i] === b);

/**
 * What a buffer holds, by magic bytes: a zip (local file header, or the end record of an empty
 * zip), gzip (taken as tar.gz, the only gzip content Fizz unpacks), a POSIX/GNU tar ("ustar" at
 * offset 257), else a plain file.
 */
export function detectFormat(buf: Uint8Array): ArchiveFormat {
  if (startsWith(buf, [0x50, 0x4b, 0x03, 0x04]) || startsWith(buf, [0x50, 0x4b, 0x05, 0x06])) return "zip";
  if (startsWith(buf, [0x1f, 0x8b])) return "tar.gz";
  if (startsWith(buf, [0x75, 0x73, 0x74, 0x61, 0x72], 257)) return "tar";
  return "file";
}
