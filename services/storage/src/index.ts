export { StorageService } from "./storage.js";
export { configSchema, type StorageConfig } from "./config.js";
export { checkArchiveId, type ArchiveBackend, type ArchiveReader, type PutOptions, type StoredArchive } from "./backend.js";
export { FsBackend } from "./fs-backend.js";
export { storageImpl } from "./handlers.js";
