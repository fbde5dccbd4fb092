export * from "./resources.js";
export * from "./admin.js";
export * from "./executor.js";
export * from "./storage.js";
export * from "./recorder.js";
export * from "./informer.js";
