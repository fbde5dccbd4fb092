export { Timer, type TimerOptions, type TriggerView } from "./timer.js";
export { configSchema, type TimerConfig } from "./config.js";
export type { Clock } from "./runner.js";
