export { Builder } from "./builder.js";
export { configSchema, type BuilderConfig } from "./config.js";
export { planBuild, defaultBuilderFor, type BuildPlan } from "./builders.js";
export { BoundedLog } from "./log.js";
