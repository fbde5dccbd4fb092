import { createLogger, loadConfig, runService } from "@fizz/common";
import { configSchema } from "./config.js";
import { Controller } from "./controller.js";

const log = createLogger("controller");
await runService("controller", new Controller(loadConfig(configSchema, process.env, "controller"), log), log);
