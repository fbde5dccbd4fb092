// Child output, one line at a time, prefixed with the service's name. pino's JSON lines are
// shortened to level and message (plus the error's message), which is what a person reads.

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

export interface LogLine {
  text: string;
  /** pino level, or undefined for plain text. */
  level?: number;
  /** What the line says went wrong, when it reports a failure. */
  problem?: string;
}

export function parseLogLine(line: string): LogLine {
  if (line.startsWith("{")) {
    try {
      const j = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
      if (typeof j.level === "number") {
        const msg = typeof j.msg === "string" ? j.msg : "";
        const errMsg = typeof j.err?.message === "string" ? j.err.message : undefined;
        const text = `${LEVELS[j.level] ?? j.level} ${msg}${errMsg && !msg.includes(errMsg) ? `: ${errMsg}` : ""}`;
        return { text, level: j.level, problem: j.level >= 50 ? (errMsg ?? msg) : undefined };
      }
    } catch {
      // not JSON after all: shown as it is
    }
  }
  return { text: line };
}

export const prefixed = (svc: string, text: string) => `[${svc}] ${text}`;
