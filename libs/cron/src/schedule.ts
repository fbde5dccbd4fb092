// Cron schedules as Fission's timer accepts them (robfig/cron with optional seconds and
// descriptors), evaluated in UTC. `next(after)` is the first scheduled time strictly after
// `after`, so a caller that remembers the last time it fired can never get it again.
import { invalid, parseDurationMs } from "@fizz/common";
import { DAY_OF_MONTH, DAY_OF_WEEK, FieldError, HOUR, MINUTE, MONTH, parseField, SECOND, type Field, type FieldSpec } from "./fields.js";

/** Every schedule is evaluated in this time zone (what a Fission cluster's timer pod uses). */
export const TIME_ZONE = "UTC";

export interface Schedule {
  /** The expression as given (trimmed). */
  readonly expression: string;
  /** First scheduled time strictly after `after`. */
  next(after: Date): Date;
}

/** The next `n` scheduled times after `after`. */
export function nextN(schedule: Schedule, after: Date, n: number): Date[] {
  const out: Date[] = [];
  for (let t = after; out.length < n; ) out.push((t = schedule.next(t)));
  return out;
}

/**
 * How many scheduled times fall in (from, to), counting at most `cap` — runs missed while the
 * timer was down, for the log.
 */
export function countBetween(schedule: Schedule, from: Date, to: Date, cap = 1000): number {
  let n = 0;
  for (let t = schedule.next(from); t < to && n < cap; t = schedule.next(t)) n++;
  return n;
}

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 0 1 1 *",
  "@annually": "0 0 0 1 1 *",
  "@monthly": "0 0 0 1 * *",
  "@weekly": "0 0 0 * * 0",
  "@daily": "0 0 0 * * *",
  "@midnight": "0 0 0 * * *",
  "@hourly": "0 0 * * * *",
};

const FIELDS_WITH_SECONDS: readonly FieldSpec[] = [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];

/** Parses a schedule; throws INVALID_ARGUMENT naming the expression and the bad field. */
export function parseCron(input: string): Schedule {
  const expression = input.trim();
  const bad = (why: string) => invalid(`cron "${expression}": ${why}`, "BAD_CRON");
  if (!expression) throw bad('empty schedule (e.g. "0 3 * * *" or "@every 5s")');
  if (/^(CRON_)?TZ=/i.test(expression)) throw bad(`time zones are not supported: every schedule runs in ${TIME_ZONE}`);
  if (expression.startsWith("@")) {
    const [word = "", ...rest] = expression.split(/\s+/);
    const lower = word.toLowerCase();
    if (lower === "@every") return every(expression, rest.join(" "), bad);
    const fields = DESCRIPTORS[lower];
    if (!fields || rest.length) throw bad(`unknown descriptor "${expression}": use @every <duration>, ${Object.keys(DESCRIPTORS).join(", ")}`);
    return new CronSchedule(expression, parseFields(fields.split(" "), bad));
  }
  const parts = expression.split(/\s+/);
  if (parts.length === 5) parts.unshift("0");
  else if (parts.length !== 6)
    throw bad(`expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), got ${parts.length}`);
  return new CronSchedule(expression, parseFields(parts, bad));
}

function parseFields(parts: string[], bad: (why: string) => Error): Field[] {
  const fields = parts.map((p, i) => {
    try {
      return parseField(p, FIELDS_WITH_SECONDS[i]!);
    } catch (err) {
      if (err instanceof FieldError) throw bad(err.message);
      throw err;
    }
  });
  const [, , , dom, month, dow] = fields as [Field, Field, Field, Field, Field, Field];
  // Only the day of month restricts days (the weekday is "*"): some allowed month must have
  // one of those days, or the schedule never fires ("0 0 30 2 *").
  if (dow.star && !dom.star && !month.values.some((m) => dom.values.some((d) => d <= DAYS_IN_MONTH_MAX[m]!)))
    throw bad("no allowed month has any of the allowed days of the month, so it never fires");
  return fields;
}

// Longest each month gets (February: 29, in leap years).
const DAYS_IN_MONTH_MAX = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

class CronSchedule implements Schedule {
  private readonly sec: Field;
  private readonly min: Field;
  private readonly hour: Field;
  private readonly dom: Field;
  private readonly month: Field;
  private readonly dow: Field;

  constructor(
    readonly expression: string,
    fields: Field[],
  ) {
    [this.sec, this.min, this.hour, this.dom, this.month, this.dow] = fields as [Field, Field, Field, Field, Field, Field];
  }

  next(after: Date): Date {
    // Whole seconds: the first candidate is the second after `after`.
    const d = new Date((Math.floor(after.getTime() / 1000) + 1) * 1000);
    let y = d.getUTCFullYear();
    let mo = d.getUTCMonth() + 1;
    let day = d.getUTCDate();
    let h = d.getUTCHours();
    let mi = d.getUTCMinutes();
    let s = d.getUTCSeconds();
    // Feb 29 alone recurs within 8 years (2096 → 2104); parseFields rejected what never fires.
    const limit = y + 9;
    // Each step moves the first field that does not match to its next value and resets the
    // smaller ones; Date.UTC carries overflow into the larger ones.
    const carry = (ms: number) => {
      const c = new Date(ms);
      [y, mo, day, h, mi, s] = [c.getUTCFullYear(), c.getUTCMonth() + 1, c.getUTCDate(), c.getUTCHours(), c.getUTCMinutes(), c.getUTCSeconds()];
    };
    while (y <= limit) {
      if (!this.month.allowed[mo]) carry(Date.UTC(y, mo, 1));
      else if (!this.matchesDay(y, mo, day)) carry(Date.UTC(y, mo - 1, day + 1));
      else if (!this.hour.allowed[h]) carry(Date.UTC(y, mo - 1, day, h + 1));
      else if (!this.min.allowed[mi]) carry(Date.UTC(y, mo - 1, day, h, mi + 1));
      else if (!this.sec.allowed[s]) carry(Date.UTC(y, mo - 1, day, h, mi, s + 1));
      else return new Date(Date.UTC(y, mo - 1, day, h, mi, s));
    }
    throw new Error(`cron "${this.expression}": no time found before ${limit}`);
  }

  /**
   * Standard cron: when both day fields are restricted a day matches either of them
   * ("0 0 1 * MON" = the 1st and every Monday); when one is "*", only the other counts.
   */
  private matchesDay(y: number, mo: number, day: number): boolean {
    const dom = this.dom.allowed[day] === true;
    const dow = this.dow.allowed[new Date(Date.UTC(y, mo - 1, day)).getUTCDay()] === true;
    return this.dom.star || this.dow.star ? dom && dow : dom || dow;
  }
}

/**
 * "@every <duration>": every multiple of the interval since the Unix epoch (UTC), so the cadence
 * is the same before and after a restart and `showschedule` predicts it exactly. (Fission counts
 * from when the trigger was loaded.)
 */
function every(expression: string, text: string, bad: (why: string) => Error): Schedule {
  const ms = text ? parseDurationMs(text) : undefined;
  if (ms === undefined) throw bad(`"${text}" is not a duration such as 5s, 15m or 1h30m`);
  if (ms < 1000) throw bad(`@every needs at least 1s, got ${text}`);
  return {
    expression,
    next: (after) => new Date((Math.floor(after.getTime() / ms) + 1) * ms),
  };
}
