export * from "./errors.js";
export * from "./ports.js";
export * from "./logger.js";
export * from "./config.js";
export * from "./lifecycle.js";
export * from "./names.js";
export * from "./durations.js";
