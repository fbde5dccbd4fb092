import { createLogger, loadConfig, runService } from "@fizz/common";
import { configSchema } from "./config.js";
import { MqTrigger } from "./mqtrigger.js";

const log = createLogger("mqtrigger");
await runService("mqtrigger", new MqTrigger(loadConfig(configSchema, process.env, "mqtrigger"), log), log);
