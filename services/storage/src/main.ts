import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { StorageService } from "./storage.js";

const log = createLogger("storage");
await runService("storage", await traced("storage", new StorageService(loadConfig(configSchema, process.env, "storage"), log), log), log);
