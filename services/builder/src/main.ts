import { createLogger, loadConfig, runService } from "@fizz/common";
import { Builder } from "./builder.js";
import { configSchema } from "./config.js";

const log = createLogger("builder");
await runService("builder", new Builder(loadConfig(configSchema, process.env, "builder"), log), log);
