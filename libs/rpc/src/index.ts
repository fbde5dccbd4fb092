export * from "./server.js";
export * from "./client.js";
export * from "./status.js";
export type { RpcObserver } from "./observe.js";
