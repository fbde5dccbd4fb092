export { Executor } from "./executor.js";
export { configSchema, builtinRuntimes, runtimeNameOf, type ExecutorConfig, type RuntimeCommand } from "./config.js";
export type { RuntimeBackend, BackendInstance, InstanceSpec, InstanceExit } from "./backend/backend.js";
export { ProcessBackend } from "./backend/process-backend.js";
export { PoolManager, type ServiceResult } from "./poolmgr/poolmgr.js";
export type { PoolBackend, PoolSpec, TakenInstance, LoadRequest } from "./backend/pool-backend.js";
export { ProcessPoolBackend } from "./backend/process-pool-backend.js";
export { KubeBackend } from "./backend/kube/kube-backend.js";
