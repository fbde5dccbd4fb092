import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { Builder } from "./builder.js";
import { configSchema } from "./config.js";

const log = createLogger("builder");
await runService("builder", await traced("builder", new Builder(loadConfig(configSchema, process.env, "builder"), log), log), log);
