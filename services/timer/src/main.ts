import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { Timer } from "./timer.js";

const log = createLogger("timer");
await runService("timer", await traced("timer", new Timer(loadConfig(configSchema, process.env, "timer"), log), log), log);
