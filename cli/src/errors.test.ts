import { describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { FizzError } from "@fizz/common/errors";
import { describeError } from "./errors.js";
import { CLI, runCli } from "./__fixtures__/run.js";

describe("describeError", () => {
  it("turns an unreachable admin API into a hint", () => {
    const e = new FizzError("UNAVAILABLE", "cannot reach AdminService at 127.0.0.1:1: No connection established", "UNREACHABLE");
    expect(describeError(e)).toBe(
      "cannot reach the admin API at 127.0.0.1:1 (is the platform running? start it with 'pnpm start' or set FIZZ_ADMIN)",
    );
  });

  it("names the storage service when that is what is missing", () => {
    const e = new FizzError("UNAVAILABLE", "cannot reach StorageService at 127.0.0.1:9092: refused");
    expect(describeError(e)).toMatch(/^cannot reach the storage service at 127.0.0.1:9092 .*FIZZ_STORAGE/);
  });

  it("keeps the controller's message, first line only", () => {
    expect(describeError(new FizzError("INVALID_ARGUMENT", 'function "Bad_Name": not valid\nmore'))).toBe('function "Bad_Name": not valid');
    expect(describeError(new Error("boom"))).toBe("boom");
  });
});

describe("the built CLI", () => {
  it("exists (build with npx tsc -b cli)", () => {
    expect(existsSync(CLI)).toBe(true);
  });

  it("exits 1 with one clear line when nothing listens at FIZZ_ADMIN", async () => {
    const r = await runCli(["fn", "list"], { FIZZ_ADMIN: "127.0.0.1:1" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "fizz: cannot reach the admin API at 127.0.0.1:1 (is the platform running? start it with 'pnpm start' or set FIZZ_ADMIN)\n",
    );
  });

  it("rejects bad flags before calling anything", async () => {
    const r = await runCli(["route", "create", "--function", "a", "--function", "b", "--weight", "50", "--url", "/x"], { FIZZ_ADMIN: "127.0.0.1:1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fizz: give one --weight per --function/);
    const bad = await runCli(["env", "list", "-o", "xml"], { FIZZ_ADMIN: "127.0.0.1:1" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--output must be table, json or yaml/);
  });
});
