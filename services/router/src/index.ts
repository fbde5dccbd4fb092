export { Router, type RouterDeps } from "./router.js";
export { routerConfig, type RouterConfig } from "./config.js";
export { RouteTable, INTERNAL_PREFIXES } from "./routes/table.js";
export { WarmCache } from "./cache/warm.js";
