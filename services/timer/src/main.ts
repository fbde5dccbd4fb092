import { createLogger, loadConfig, runService } from "@fizz/common";
import { configSchema } from "./config.js";
import { Timer } from "./timer.js";

const log = createLogger("timer");
await runService("timer", new Timer(loadConfig(configSchema, process.env, "timer"), log), log);
