export { Controller } from "./controller.js";
export { configSchema, type ControllerConfig } from "./config.js";
export type { ResourceStore, LoadedState } from "./store/store.js";
export { FileStore } from "./store/file-store.js";
