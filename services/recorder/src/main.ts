import { createLogger, loadConfig, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { Recorder } from "./recorder.js";

const log = createLogger("recorder");
await runService("recorder", await traced("recorder", new Recorder(loadConfig(configSchema, process.env, "recorder"), log), log), log);
