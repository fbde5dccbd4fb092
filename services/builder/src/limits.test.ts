import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildStatus, createEnv, createSourcePackage, pidAlive, startPlatform, until, zipOf, type Platform } from "./__fixtures__/platform.js";

let p: Platform;
let scratch: string;

beforeAll(async () => {
  p = await startPlatform();
  scratch = await mkdtemp(join(tmpdir(), "fizz-builder-limits-"));
  await createEnv(p.admin, "nodejs");
  await p.startBuilder({ FIZZ_BUILD_TIMEOUT_MS: "1000", FIZZ_BUILD_LOG_MAX_BYTES: "4096" });
});

afterAll(async () => {
  await p?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("builder limits", () => {
  it("kills a build that runs past the timeout, with everything it started", async () => {
    const pidFile = join(scratch, "sleep.pid");
    // The sleep is a grandchild of the builder: only killing the process group gets it.
    const cmd = `echo starting; sleep 30 & echo $! > '${pidFile}'; wait`;
    await createSourcePackage(p.admin, "slow", "nodejs", { type: "literal", literal: await zipOf({ "a.txt": "a" }) }, cmd);
    const pkg = await buildStatus(p.admin, "slow", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("failed");
    expect(pkg.status?.buildlog).toContain("starting");
    expect(pkg.status?.buildlog).toContain("build timed out after 1 s");
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    expect(pid).toBeGreaterThan(0);
    await until("sleep process gone", () => !pidAlive(pid), 3000);
  });

  it("keeps the head and the tail of a long log", async () => {
    const cmd = 'echo HEAD-MARK; i=0; while [ $i -lt 3000 ]; do echo "line $i of noise"; i=$((i+1)); done; echo TAIL-MARK; exit 1';
    await createSourcePackage(p.admin, "chatty", "nodejs", { type: "literal", literal: await zipOf({ "a.txt": "a" }) }, cmd);
    const pkg = await buildStatus(p.admin, "chatty", ["succeeded", "failed"]);
    const log = pkg.status!.buildlog;
    expect(pkg.status?.buildstatus).toBe("failed");
    expect(log.startsWith("$ echo HEAD-MARK")).toBe(true);
    expect(log).toContain("\nHEAD-MARK\nline 0 of noise\n");
    expect(log).toMatch(/… \d+ bytes omitted …/);
    expect(log).not.toContain("line 1500 of noise\n");
    expect(log).toMatch(/line 2999 of noise\nTAIL-MARK\nbuild failed: exit code 1\n$/);
    expect(Buffer.byteLength(log)).toBeLessThan(4096 + 64);
  });
});
