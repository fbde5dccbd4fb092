export { Fetcher } from "./server.js";
export { configSchema as fetcherConfigSchema, type FetcherConfig } from "./config.js";
export { DEPLOY_DIR } from "./specializer.js";
