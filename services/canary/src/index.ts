export { CanaryService, type CanaryView } from "./canary.js";
export { configSchema, type CanaryServiceConfig } from "./config.js";
