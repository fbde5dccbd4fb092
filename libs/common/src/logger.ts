import { pino, destination, type Logger } from "pino";

export type { Logger };

/** The root logger of a process: JSON lines on stderr, level from FIZZ_LOG_LEVEL (default info). */
export function createLogger(service: string, level = process.env.FIZZ_LOG_LEVEL ?? "info"): Logger {
  return pino({ name: service, level, base: { svc: service } }, destination({ fd: 2, sync: false }));
}

/** A logger that drops everything (tests, libraries used without one). */
export const silentLogger: Logger = pino({ level: "silent" });
