import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { CanaryService } from "./canary.js";

const log = createLogger("canary");
await runService("canary", await traced("canary", new CanaryService(loadConfig(configSchema, process.env, "canary"), log), log), log);
