export { StorageService, backendFor } from "./storage.js";
export { configSchema, type StorageConfig, type S3Config } from "./config.js";
export { checkArchiveId, type ArchiveBackend, type ArchiveReader, type PutOptions, type StoredArchive } from "./backend.js";
export { FsBackend } from "./fs-backend.js";
export { S3Backend, DEFAULT_PART_SIZE, type S3BackendOptions } from "./s3-backend.js";
export { ArchiveGc, archiveRefs, type GcOptions } from "./gc.js";
export { storageImpl } from "./handlers.js";
