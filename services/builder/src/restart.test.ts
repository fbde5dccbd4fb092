import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildStatus, createEnv, createSourcePackage, deploymentFiles, getPackage, startPlatform, zipOf, type Platform } from "./__fixtures__/platform.js";

let p: Platform;
let scratch: string;

beforeAll(async () => {
  p = await startPlatform();
  scratch = await mkdtemp(join(tmpdir(), "fizz-builder-restart-"));
  await createEnv(p.admin, "nodejs");
});

afterAll(async () => {
  await p?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("builder restart", () => {
  it("takes back a package left running by a builder that went away", async () => {
    const flag = join(scratch, "go");
    // Hangs until the flag exists: the first builder never finishes it.
    const cmd = `test -f '${flag}' || sleep 30; echo done > "$DEPLOY_PKG/done.txt"`;
    const first = await p.startBuilder();
    await createSourcePackage(p.admin, "resumed", "nodejs", { type: "literal", literal: await zipOf({ "a.txt": "a" }) }, cmd);
    await buildStatus(p.admin, "resumed", ["running"]);
    const t0 = Date.now();
    await first.stop();
    expect(Date.now() - t0).toBeLessThan(5000); // the build was killed, not waited for
    expect((await getPackage(p.admin, "resumed")).status?.buildstatus).toBe("running");

    await writeFile(flag, "");
    await p.startBuilder();
    const pkg = await buildStatus(p.admin, "resumed", ["succeeded", "failed"]);
    expect(pkg.status?.buildstatus).toBe("succeeded");
    expect(await deploymentFiles(pkg, p.store)).toEqual({ "done.txt": "done\n" });
  });
});
