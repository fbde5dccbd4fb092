import { createLogger, loadConfig, runService } from "@fizz/common";
import { configSchema } from "./config.js";
import { StorageService } from "./storage.js";

const log = createLogger("storage");
await runService("storage", new StorageService(loadConfig(configSchema, process.env, "storage"), log), log);
