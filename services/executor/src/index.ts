export { Executor } from "./executor.js";
export { configSchema, builtinRuntimes, runtimeNameOf, type ExecutorConfig, type RuntimeCommand } from "./config.js";
export type { RuntimeBackend, BackendInstance, InstanceSpec, InstanceExit } from "./backend/backend.js";
export { ProcessBackend } from "./backend/process-backend.js";
export { PoolManager, type ServiceResult } from "./poolmgr/poolmgr.js";
