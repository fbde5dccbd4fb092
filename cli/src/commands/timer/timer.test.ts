// `fizz timer`: the built CLI against a real controller (in this process, on an ephemeral port).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Controller } from "@fizz/controller";
import { parseCron } from "@fizz/cron";
import { cliRunner, runCli } from "../../__fixtures__/run.js";
import { scheduleLines } from "./table.js";

const dir = mkdtempSync(join(tmpdir(), "fizz-cli-timer-"));
let controller: Controller;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  controller = new Controller({ address: "127.0.0.1:0", stateDir: dir, historySize: 100 });
  await controller.start();
  env = { FIZZ_ADMIN: controller.address! };
});

afterAll(async () => {
  await controller?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const { fizz, ok, json, failsWith } = cliRunner(() => env);
const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

describe("fizz timer", () => {
  it("creates a trigger and prints the server time and the next run, like Fission", async () => {
    const out = await ok("timer", "create", "--name", "nightly", "--function", "report", "--cron", "0 3 * * *");
    expect(out).toMatch(new RegExp(`^trigger 'nightly' created\\nCurrent Server Time: \\t${ISO} \\(UTC\\)\\nNext 1 invocation: \\t${ISO}\\n$`));
    const next = out.match(new RegExp(`Next 1 invocation: \\t(${ISO})`))![1]!;
    expect(next).toMatch(/T03:00:00Z$/);
    const doc = await json("timer", "get", "--name", "nightly");
    expect(doc).toMatchObject({
      apiVersion: "fizz.dev/v1",
      kind: "TimeTrigger",
      metadata: { name: "nightly", namespace: "default" },
      spec: { cron: "0 3 * * *", functionref: { type: "name", name: "report" }, method: "POST", subpath: "/" },
    });
  });

  it("accepts @every, the tt alias, a method and a subpath; generates a name", async () => {
    const out = await ok("tt", "create", "--function", "poll", "--cron", "@every 5s", "--method", "get", "--subpath", "check");
    const name = out.match(/^trigger '(poll-[a-z0-9]{6})' created\n/)![1]!;
    expect((await json("timetrigger", "get", "--name", name)).spec).toMatchObject({ cron: "@every 5s", method: "GET", subpath: "/check" });
    await ok("tt", "delete", "--name", name);
  });

  it("lists triggers with their next run, filtered by function", async () => {
    await ok("timer", "create", "--name", "often", "--function", "poll", "--cron", "*/10 * * * * *");
    const table = await ok("timer", "list");
    expect(table).toMatch(/^NAME\s+CRON\s+FUNCTION\s+METHOD\s+SUBPATH\s+NEXT RUN \(UTC\)\s+AGE\n/);
    expect(table).toMatch(new RegExp(`\\nnightly\\s+0 3 \\* \\* \\*\\s+report\\s+POST\\s+/\\s+${ISO.slice(0, -1)}Z\\s+\\d+s\\n`));
    expect(table).toMatch(/\noften\s+\*\/10 \* \* \* \* \*\s+poll\s/);
    expect((await json("timer", "list", "--function", "poll")).map((t: { metadata: { name: string } }) => t.metadata.name)).toEqual(["often"]);
    expect(await ok("timer", "list", "--function", "nobody")).toBe("NAME   CRON   FUNCTION   METHOD   SUBPATH   NEXT RUN (UTC)   AGE\n");
  });

  it("updates the schedule (printing the new next run) and the call", async () => {
    const out = await ok("timer", "update", "--name", "often", "--cron", "@hourly");
    expect(out).toMatch(new RegExp(`^trigger 'often' updated\\nCurrent Server Time: .*\\nNext 1 invocation: \\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00Z\\n$`));
    expect(await ok("timer", "update", "--name", "often", "--method", "PUT", "--subpath", "/x", "--function", "report")).toBe("trigger 'often' updated\n");
    expect((await json("timer", "get", "--name", "often")).spec).toMatchObject({ cron: "@hourly", method: "PUT", subpath: "/x", functionref: { name: "report" } });
  });

  it("deletes", async () => {
    expect(await ok("timer", "delete", "--name", "often")).toBe("trigger 'often' deleted\n");
    await failsWith(["timer", "get", "--name", "often"], /^fizz: .*often.*not found/i);
  });

  it("reports bad input in one line and changes nothing", async () => {
    await failsWith(["timer", "create", "--name", "bad", "--function", "f", "--cron", "0 3 * * FUNDAY"], /^fizz: .*spec\.cron "0 3 \* \* FUNDAY": day-of-week field "FUNDAY"/);
    await failsWith(["timer", "create", "--name", "bad", "--function", "f", "--cron", "@every 100ms"], /@every needs at least 1s/);
    await failsWith(["timer", "create", "--name", "bad", "--function", "f", "--cron", "* * *"], /expected 5 fields/);
    await failsWith(["timer", "create", "--name", "bad", "--function", "f", "--cron", "@daily", "--method", "BREW"], /spec\.method "BREW"/);
    const missing = await fizz("timer", "create", "--name", "bad", "--function", "f");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/required option '--cron <schedule>' not specified/);
    await failsWith(["timer", "update", "--name", "nightly"], /nothing to change/);
    await failsWith(["timer", "update", "--name", "nightly", "--cron", "61 * * * *"], /minute field "61": 61 is out of range 0-59/);
    await failsWith(["timer", "update", "--name", "ghost", "--cron", "@daily"], /ghost/);
    expect((await json("timer", "list")).map((t: { metadata: { name: string } }) => t.metadata.name)).toEqual(["nightly"]);
    expect((await json("timer", "get", "--name", "nightly")).spec.cron).toBe("0 3 * * *");
  });
});

describe("fizz timer showschedule", () => {
  it("prints the next N run times without a platform", async () => {
    const r = await runCli(["timer", "showschedule", "--cron", "*/15 * * * *", "--round", "3"], { FIZZ_ADMIN: "127.0.0.1:1" });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    const now = new Date(lines[0]!.match(new RegExp(`^Current Server Time: \\t(${ISO}) \\(UTC\\)$`))![1]!);
    const times = lines.slice(1).map((l, i) => new Date(l.match(new RegExp(`^Next ${i + 1} invocation: \\t(${ISO})$`))![1]!));
    // The times are the schedule's, after the time printed (which has no milliseconds).
    const expected = parseCron("*/15 * * * *");
    let t = now;
    for (const got of times) expect(got).toEqual((t = expected.next(t)));
  });

  it("formats the lines itself", async () => {
    expect(await scheduleLines("0 */30 * * * *", 2, new Date("2024-05-01T10:07:12.345Z"))).toBe(
      "Current Server Time: \t2024-05-01T10:07:12Z (UTC)\nNext 1 invocation: \t2024-05-01T10:30:00Z\nNext 2 invocation: \t2024-05-01T11:00:00Z",
    );
  });

  it("rejects a bad schedule or round", async () => {
    await failsWith(["tt", "showschedule", "--cron", "@weekly on monday"], /unknown descriptor/);
    const r = await fizz("tt", "showschedule", "--cron", "@daily", "--round", "x");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--round <n>' argument 'x' is invalid. expected a whole number from 1 to 1000/);
  });
});
