import { createLogger, loadConfig, lowerProcessPriority, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { configSchema } from "./config.js";
import { Recorder } from "./recorder.js";

const log = createLogger("recorder");
const config = loadConfig(configSchema, process.env, "recorder");
// Here, not in Recorder: tests run recorders inside their own process.
const refused = lowerProcessPriority(config.nice);
if (refused) log.warn({ err: refused, nice: config.nice }, "recorder keeps its CPU priority");
await runService("recorder", await traced("recorder", new Recorder(config, log), log), log);
