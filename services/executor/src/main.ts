import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { Executor } from "./executor.js";

const log = createLogger("executor");
await runService("executor", await traced("executor", new Executor(loadConfig(configSchema, process.env, "executor"), log), log), log);
