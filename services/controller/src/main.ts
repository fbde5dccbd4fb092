import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { Controller } from "./controller.js";

const log = createLogger("controller");
await runService("controller", await traced("controller", new Controller(loadConfig(configSchema, process.env, "controller"), log), log), log);
