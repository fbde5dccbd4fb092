import { createLogger, loadConfig, runService } from "@fizz/common";
import { configSchema } from "./config.js";
import { Executor } from "./executor.js";

const log = createLogger("executor");
await runService("executor", new Executor(loadConfig(configSchema, process.env, "executor"), log), log);
