import { describe, expect, it } from "@jest/globals";
import { FizzError } from "@fizz/common";
import { countBetween, nextN, parseCron } from "./index.js";

const at = (iso: string) => new Date(iso);
/** The next n times after `after`, as ISO strings without milliseconds. */
const times = (expr: string, after: string, n = 3) => nextN(parseCron(expr), at(after), n).map((d) => d.toISOString().replace(".000Z", "Z"));
const rejects = (expr: string, pattern: RegExp) => {
  let err: unknown;
  try {
    parseCron(expr);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FizzError);
  expect((err as FizzError).code).toBe("INVALID_ARGUMENT");
  expect((err as FizzError).message).toMatch(pattern);
};

describe("five-field cron", () => {
  it("fires at a fixed time of day, strictly after the given time", () => {
    expect(times("0 3 * * *", "2024-05-01T02:59:59Z")).toEqual(["2024-05-01T03:00:00Z", "2024-05-02T03:00:00Z", "2024-05-03T03:00:00Z"]);
    // Exactly on a scheduled time: that time is not "next".
    expect(times("0 3 * * *", "2024-05-01T03:00:00Z", 1)).toEqual(["2024-05-02T03:00:00Z"]);
    expect(times("0 3 * * *", "2024-05-01T03:00:00.500Z", 1)).toEqual(["2024-05-02T03:00:00Z"]);
  });

  it("steps, ranges and lists", () => {
    expect(times("*/15 * * * *", "2024-05-01T10:07:00Z", 5)).toEqual([
      "2024-05-01T10:15:00Z",
      "2024-05-01T10:30:00Z",
      "2024-05-01T10:45:00Z",
      "2024-05-01T11:00:00Z",
      "2024-05-01T11:15:00Z",
    ]);
    expect(times("10-40/10 8,17 * * *", "2024-05-01T08:35:00Z", 4)).toEqual([
      "2024-05-01T08:40:00Z",
      "2024-05-01T17:10:00Z",
      "2024-05-01T17:20:00Z",
      "2024-05-01T17:30:00Z",
    ]);
    // "a/step" runs from a to the end of the field.
    expect(times("50/5 * * * *", "2024-05-01T10:00:00Z", 3)).toEqual(["2024-05-01T10:50:00Z", "2024-05-01T10:55:00Z", "2024-05-01T11:50:00Z"]);
  });

  it("month and weekday names, any case; weekday 7 is Sunday", () => {
    expect(times("0 9 * * mon-FRI", "2024-05-03T10:00:00Z", 2)).toEqual(["2024-05-06T09:00:00Z", "2024-05-07T09:00:00Z"]); // Fri → Mon
    expect(times("0 0 1 jan,Jul *", "2024-02-01T00:00:00Z", 2)).toEqual(["2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z"]);
    expect(times("0 12 * * 7", "2024-05-01T00:00:00Z", 2)).toEqual(["2024-05-05T12:00:00Z", "2024-05-12T12:00:00Z"]);
    expect(times("0 12 * * 5-7", "2024-05-01T00:00:00Z", 4)).toEqual([
      "2024-05-03T12:00:00Z",
      "2024-05-04T12:00:00Z",
      "2024-05-05T12:00:00Z",
      "2024-05-10T12:00:00Z",
    ]);
  });

  it("day of month OR day of week when both are restricted, AND when one is *", () => {
    // The 13th, and every Friday (May 2024: Fridays 3, 10, 17; the 13th is a Monday).
    expect(times("0 0 13 * FRI", "2024-05-01T00:00:00Z", 4)).toEqual([
      "2024-05-03T00:00:00Z",
      "2024-05-10T00:00:00Z",
      "2024-05-13T00:00:00Z",
      "2024-05-17T00:00:00Z",
    ]);
    expect(times("0 0 13 * *", "2024-05-01T00:00:00Z", 2)).toEqual(["2024-05-13T00:00:00Z", "2024-06-13T00:00:00Z"]);
    expect(times("0 0 ? * FRI", "2024-05-01T00:00:00Z", 2)).toEqual(["2024-05-03T00:00:00Z", "2024-05-10T00:00:00Z"]);
    // A step other than 1 makes a field restricted: OR again (odd days, and Sundays).
    expect(times("0 0 */2 * SUN", "2024-05-09T12:00:00Z", 4)).toEqual([
      "2024-05-11T00:00:00Z",
      "2024-05-12T00:00:00Z",
      "2024-05-13T00:00:00Z",
      "2024-05-15T00:00:00Z",
    ]);
  });

  it("month ends, day 31, Feb 29 and leap years", () => {
    expect(times("0 0 31 * *", "2024-01-31T00:00:00Z", 4)).toEqual([
      "2024-03-31T00:00:00Z",
      "2024-05-31T00:00:00Z",
      "2024-07-31T00:00:00Z",
      "2024-08-31T00:00:00Z",
    ]);
    expect(times("0 0 29 2 *", "2024-03-01T00:00:00Z", 2)).toEqual(["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]);
    // 2100 is not a leap year: eight years between 2096 and 2104.
    expect(times("0 0 29 2 *", "2096-03-01T00:00:00Z", 1)).toEqual(["2104-02-29T00:00:00Z"]);
    expect(times("59 23 28-31 2 *", "2023-02-27T00:00:00Z", 2)).toEqual(["2023-02-28T23:59:00Z", "2024-02-28T23:59:00Z"]);
    expect(times("59 23 28-31 2 *", "2024-02-28T23:59:00Z", 1)).toEqual(["2024-02-29T23:59:00Z"]);
    // Across the year end.
    expect(times("30 23 31 12 *", "2024-12-31T23:30:00Z", 1)).toEqual(["2025-12-31T23:30:00Z"]);
    expect(times("0 0 1 * *", "2024-12-15T00:00:00Z", 2)).toEqual(["2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"]);
  });

  it("rejects a day that no allowed month has", () => {
    rejects("0 0 30 2 *", /never fires/);
    rejects("0 0 31 4,6,9,11 *", /never fires/);
    // With a weekday too it fires on that weekday in February (OR), so it is accepted.
    expect(times("0 0 30 2 MON", "2024-05-01T00:00:00Z", 2)).toEqual(["2025-02-03T00:00:00Z", "2025-02-10T00:00:00Z"]);
  });
});

describe("six-field cron (seconds first)", () => {
  it("fires on the second", () => {
    expect(times("0 */30 * * * *", "2024-05-01T10:07:00Z", 2)).toEqual(["2024-05-01T10:30:00Z", "2024-05-01T11:00:00Z"]);
    expect(times("*/20 * * * * *", "2024-05-01T10:00:59.999Z", 3)).toEqual(["2024-05-01T10:01:00Z", "2024-05-01T10:01:20Z", "2024-05-01T10:01:40Z"]);
    expect(times("* * * * * *", "2024-05-01T10:00:00.250Z", 2)).toEqual(["2024-05-01T10:00:01Z", "2024-05-01T10:00:02Z"]);
    expect(times("15,45 59 23 31 12 *", "2024-06-01T00:00:00Z", 3)).toEqual([
      "2024-12-31T23:59:15Z",
      "2024-12-31T23:59:45Z",
      "2025-12-31T23:59:15Z",
    ]);
  });
});

describe("descriptors", () => {
  it.each([
    ["@yearly", "2025-01-01T00:00:00Z"],
    ["@annually", "2025-01-01T00:00:00Z"],
    ["@monthly", "2024-06-01T00:00:00Z"],
    ["@weekly", "2024-05-19T00:00:00Z"], // the next Sunday
    ["@daily", "2024-05-16T00:00:00Z"],
    ["@midnight", "2024-05-16T00:00:00Z"],
    ["@hourly", "2024-05-15T11:00:00Z"],
    ["@HOURLY", "2024-05-15T11:00:00Z"],
  ])("%s", (expr, first) => {
    expect(times(expr, "2024-05-15T10:20:30Z", 1)).toEqual([first]);
  });

  it("@every is anchored to the epoch, so its times are the same whenever it is asked", () => {
    expect(times("@every 5s", "2024-05-01T10:00:02Z", 3)).toEqual(["2024-05-01T10:00:05Z", "2024-05-01T10:00:10Z", "2024-05-01T10:00:15Z"]);
    expect(times("@every 5s", "2024-05-01T10:00:05Z", 1)).toEqual(["2024-05-01T10:00:10Z"]);
    expect(times("@every 1h30m", "2024-05-01T00:10:00Z", 2)).toEqual(["2024-05-01T01:30:00Z", "2024-05-01T03:00:00Z"]);
    expect(times("@every 1s", "2024-05-01T10:00:00.999Z", 2)).toEqual(["2024-05-01T10:00:01Z", "2024-05-01T10:00:02Z"]);
    const s = parseCron("  @every   90s ");
    expect(s.expression).toBe("@every   90s");
    expect(s.next(at("1970-01-01T00:00:00Z")).toISOString()).toBe("1970-01-01T00:01:30.000Z");
  });
});

describe("errors name the expression and the bad field", () => {
  it.each([
    ["", /empty schedule/],
    ["* * * *", /expected 5 fields .* or 6 .*got 4/],
    ["* * * * * * *", /got 7/],
    ["60 * * * *", /cron "60 \* \* \* \*": minute field "60": 60 is out of range 0-59/],
    ["0 24 * * *", /hour field "24": 24 is out of range 0-23/],
    ["0 0 0 * *", /day-of-month field "0": 0 is out of range 1-31/],
    ["0 0 * 13 *", /month field "13": 13 is out of range 1-12/],
    ["0 0 * * 8", /day-of-week field "8": 8 is out of range 0-7/],
    ["0 0 * FOO *", /month field "FOO": "FOO" is not a number or a name \(JAN-DEC\)/],
    ["0 0 * * x", /day-of-week field "x": "x" is not a number or a name \(SUN-SAT\)/],
    ["0 0 * * MON-", /day-of-week field "MON-": "MON-" is not a value/],
    ["5-1 * * * *", /minute field "5-1": range "5-1" goes backwards \(5 > 1\)/],
    ["*/0 * * * *", /minute field "\*\/0": step "0" must be a whole number of 1 or more/],
    ["*/x * * * *", /step "x"/],
    ["*/60 * * * *", /minute field "\*\/60": step 60 does not fit the field's range 0-59/],
    ["1/2/3 * * * *", /more than one "\/"/],
    ["1,,2 * * * *", /empty list item/],
    ["? * * * *", /minute field "\?"/],
    ["0 0 30 2 *", /never fires/],
    ["@every", /"" is not a duration/],
    ["@every 5x", /"5x" is not a duration/],
    ["@every 500ms", /at least 1s/],
    ["@fortnightly", /unknown descriptor "@fortnightly"/],
    ["@daily 3", /unknown descriptor/],
    ["TZ=Europe/Paris 0 3 * * *", /time zones are not supported: every schedule runs in UTC/],
    ["CRON_TZ=UTC 0 3 * * *", /time zones are not supported/],
  ])("%j", (expr, pattern) => rejects(expr, pattern));

  it("the error carries a stable reason", () => {
    expect(() => parseCron("x")).toThrow(expect.objectContaining({ reason: "BAD_CRON" }));
  });
});

describe("countBetween", () => {
  it("counts scheduled times strictly inside a window, up to a cap", () => {
    const s = parseCron("@every 1s");
    expect(countBetween(s, at("2024-05-01T10:00:00Z"), at("2024-05-01T10:00:05Z"))).toBe(4);
    expect(countBetween(s, at("2024-05-01T10:00:00Z"), at("2024-05-01T10:00:00.500Z"))).toBe(0);
    expect(countBetween(s, at("2024-05-01T10:00:00Z"), at("2024-05-02T10:00:00Z"), 100)).toBe(100);
  });
});

describe("next over a long run", () => {
  it("matches a brute-force minute scan for a year of a mixed expression", () => {
    const s = parseCron("5,35 */6 1-7 * MON");
    const start = at("2024-01-01T00:00:00Z").getTime();
    const expected: string[] = [];
    for (let t = start + 60_000; expected.length < 200; t += 60_000) {
      const d = new Date(t);
      const dom = d.getUTCDate() <= 7;
      const dow = d.getUTCDay() === 1;
      if ([5, 35].includes(d.getUTCMinutes()) && d.getUTCHours() % 6 === 0 && (dom || dow)) expected.push(d.toISOString());
    }
    expect(nextN(s, new Date(start), 200).map((d) => d.toISOString())).toEqual(expected);
  });
});
