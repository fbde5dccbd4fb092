export { detectFormat, type ArchiveFormat } from "./detect.js";
export { extractArchive, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, type ExtractOptions, type ExtractResult } from "./extract.js";
export { zipFiles, zipDirectory, tarGzDirectory, type ZipInput, type DirectoryOptions } from "./create.js";
export { safeRelativePath, UNSAFE_ARCHIVE, ARCHIVE_TOO_LARGE, MALFORMED_ARCHIVE } from "./paths.js";
