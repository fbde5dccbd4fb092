// Durations as people write them in specs and flags ("90s", "15m", "1h30m", "500ms", "7d"):
// one parser for the controller, the CLI, the timer and the canary.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in `text`, or undefined when it is not a positive-or-zero duration. */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let ms = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = re.lastIndex;
  }
  return s && end === s.length ? ms : undefined;
}

/** Whole seconds in a positive duration, or undefined when malformed or under a second. */
export function parseDurationSeconds(text: string): number | undefined {
  const ms = parseDurationMs(text);
  return ms !== undefined && ms >= 1000 ? Math.floor(ms / 1000) : undefined;
}
