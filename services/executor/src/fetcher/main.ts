// The fetcher sidecar process (fizz/fetcher image): see server.ts.
import { createLogger, loadConfig, runService } from "@fizz/common";
import { configSchema } from "./config.js";
import { Fetcher } from "./server.js";

const log = createLogger("fetcher");
await runService("fetcher", new Fetcher(loadConfig(configSchema, process.env, "fetcher"), log), log);
