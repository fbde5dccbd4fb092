// One cron field ("*/15", "1-5", "MON-FRI", "0,30") into the set of values it allows. Each
// error names the field and the piece of it that is wrong, so the message can be shown as it is.

export interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Upper-case names accepted in place of numbers (JAN, MON, …). */
  readonly names?: Readonly<Record<string, number>>;
  /** A value folded onto another after parsing (day-of-week 7 is Sunday, 0). */
  readonly alias?: readonly [from: number, to: number];
  /** "?" is accepted (as "*"), as in Fission's parser, for the two day fields. */
  readonly question?: boolean;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
export const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
export const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
export const DAY_OF_MONTH: FieldSpec = { name: "day-of-month", min: 1, max: 31, question: true };
export const MONTH: FieldSpec = { name: "month", min: 1, max: 12, names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])) };
export const DAY_OF_WEEK: FieldSpec = {
  name: "day-of-week",
  min: 0,
  max: 7,
  names: Object.fromEntries(DAYS.map((d, i) => [d, i])),
  alias: [7, 0],
  question: true,
};

export interface Field {
  /** allowed[v] for every v in min..max. */
  readonly allowed: readonly boolean[];
  /** Sorted allowed values. */
  readonly values: readonly number[];
  /**
   * "*" or "?" (with no step above 1): the field places no restriction. Decides how the two day
   * fields combine (see matchesDay in schedule.ts).
   */
  readonly star: boolean;
}

/** Thrown by parseField; the schedule parser adds the whole expression to the message. */
export class FieldError extends Error {}

export function parseField(text: string, spec: FieldSpec): Field {
  const allowed: boolean[] = new Array<boolean>(spec.max + 1).fill(false);
  let star = false;
  const bad = (why: string) => new FieldError(`${spec.name} field "${text}": ${why}`);
  for (const part of text.split(",")) {
    if (part === "") throw bad("empty list item");
    const [range = "", stepText, extra] = part.split("/");
    if (extra !== undefined) throw bad(`"${part}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw bad(`step "${stepText}" must be a whole number of 1 or more`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*" || (range === "?" && spec.question)) {
      lo = spec.min;
      hi = spec.alias ? spec.alias[0] - 1 : spec.max;
      if (step === 1) star = true;
    } else {
      const ends = range.split("-");
      if (ends.length > 2 || ends.some((e) => e === "")) throw bad(`"${range}" is not a value, a range a-b, "*"${spec.question ? ' or "?"' : ""}`);
      lo = value(ends[0]!, spec, bad);
      // "a/step" runs from a to the field's maximum, as in Fission's parser and Vixie cron.
      hi = ends.length === 2 ? value(ends[1]!, spec, bad) : stepText !== undefined ? spec.max : lo;
      if (lo > hi) throw bad(`range "${range}" goes backwards (${lo} > ${hi})`);
    }
    // "*/90" in minutes would quietly mean "at minute 0": almost surely not what was meant.
    const top = spec.alias ? spec.alias[0] - 1 : spec.max;
    if (step > top - spec.min) throw bad(`step ${step} does not fit the field's range ${spec.min}-${top}`);
    for (let v = lo; v <= hi; v += step) allowed[v] = true;
  }
  if (spec.alias && allowed[spec.alias[0]]) {
    allowed[spec.alias[1]] = true;
    allowed[spec.alias[0]] = false;
  }
  const values: number[] = [];
  for (let v = spec.min; v <= spec.max; v++) if (allowed[v]) values.push(v);
  return { allowed, values, star };
}

function value(text: string, spec: FieldSpec, bad: (why: string) => FieldError): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) throw bad(`${n} is out of range ${spec.min}-${spec.max}`);
    return n;
  }
  const named = spec.names?.[text.toUpperCase()];
  if (named !== undefined) return named;
  const names = spec.names ? ` or a name (${Object.keys(spec.names)[0]}-${Object.keys(spec.names).at(-1)})` : "";
  throw bad(`"${text}" is not a number${names}`);
}
