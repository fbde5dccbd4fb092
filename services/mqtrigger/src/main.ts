import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { MqTrigger } from "./mqtrigger.js";

const log = createLogger("mqtrigger");
await runService("mqtrigger", await traced("mqtrigger", new MqTrigger(loadConfig(configSchema, process.env, "mqtrigger"), log), log), log);
