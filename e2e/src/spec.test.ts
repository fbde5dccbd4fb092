// Declarative specs end to end: init → create with --spec → apply → curl → edit the function
// under `apply --watch` → the "live" line is true (the very next request runs the new code) and a
// request in flight during the reload finishes on the old code → remove a function from the
// specs → apply --delete → 404 → destroy.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, fizz, followFizz, get, startPlatform, type Platform } from "./platform.js";

let p: Platform;
let project: string;

beforeAll(async () => {
  p = await startPlatform();
  project = mkdtempSync(join(tmpdir(), "fizz-e2e-spec-"));
}, 60_000);

afterAll(async () => {
  await p?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

const hello = (v: string) => `module.exports = async () => ({ status: 200, body: "hello ${v}\\n" });\n`;
// Marks (a file named by ?mark=) that the request reached the function, then answers slowly.
const slow = (v: string) => `const fs = require("fs");
module.exports = async (context) => {
  if (context.request.query.mark) fs.writeFileSync(context.request.query.mark, "in");
  await new Promise((r) => setTimeout(r, Number(context.request.query.ms || 0)));
  return { status: 200, body: "slow ${v}\\n" };
};
`;

async function ok(...args: string[]): Promise<string> {
  const r = await fizz(p, args, project);
  if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe("fizz spec, end to end", () => {
  it("init, --spec, apply, live reload under --watch without dropping a request in flight, --delete, destroy", async () => {
    writeFileSync(join(project, "hello.js"), hello("v1"));
    writeFileSync(join(project, "slow.js"), slow("v1"));
    await ok("spec", "init");
    await ok("env", "create", "--name", "spec-node", "--image", "nodejs", "--poolsize", "2", "--spec");
    await ok("fn", "create", "--name", "spec-hello", "--env", "spec-node", "--code", "hello.js", "--url", "/spec-hello", "--spec");
    await ok("fn", "create", "--name", "spec-slow", "--env", "spec-node", "--code", "slow.js", "--url", "/spec-slow", "--spec");
    expect(await ok("spec", "validate")).toMatch(/valid: 7 resources, 2 archives/);
    expect(await ok("spec", "apply")).toMatch(/7 changed \(7 created, 0 updated, 0 deleted\), 0 unchanged/);
    expect((await get(`${p.routerUrl}/spec-hello`)).body).toBe("hello v1\n");
    expect(await ok("spec", "apply")).toMatch(/^0 changed/);

    const w = followFizz(p, ["spec", "apply", "--watch"], project);
    try {
      await w.next(/^no changes$/);
      // A save: the "live" line must be true — the very next request runs the new code.
      writeFileSync(join(project, "hello.js"), hello("v2"));
      expect(await w.next(/^updated package 'spec-hello-\w+'/)).toMatch(/deployment archive .* changed \(sha256 \w+ → \w+\)/);
      expect(await w.next(/^live: spec-hello/)).toMatch(/^live: spec-hello \(v\d+\) in \d+ ms$/);
      expect((await get(`${p.routerUrl}/spec-hello`)).body).toBe("hello v2\n");

      // A request in flight while its function reloads finishes, on the code it started on.
      expect((await get(`${p.routerUrl}/spec-slow`)).body).toBe("slow v1\n"); // warm
      const mark = join(project, "reached");
      const inFlight = get(`${p.routerUrl}/spec-slow?ms=1500&mark=${encodeURIComponent(mark)}`);
      await eventually(() => existsSync(mark), 20_000, 10);
      writeFileSync(join(project, "slow.js"), slow("v2"));
      await w.next(/^live: spec-slow/);
      expect((await get(`${p.routerUrl}/spec-slow`)).body).toBe("slow v2\n");
      const old = await inFlight;
      expect(old).toMatchObject({ status: 200, body: "slow v1\n" });
    } finally {
      await w.stop();
    }

    // The function leaves the specs: kept by a plain apply, removed with --delete.
    rmSync(join(project, "specs", "function-spec-hello.yaml"));
    expect(await ok("spec", "apply")).toMatch(/3 no longer in the specs were kept/);
    expect((await get(`${p.routerUrl}/spec-hello`)).status).toBe(200);
    expect(await ok("spec", "apply", "--delete")).toMatch(/3 changed \(0 created, 0 updated, 3 deleted\)/);
    expect((await get(`${p.routerUrl}/spec-hello`)).status).toBe(404);
    expect((await get(`${p.routerUrl}/spec-slow`)).status).toBe(200);

    expect(await ok("spec", "destroy", "--yes")).toMatch(/4 deleted/);
    expect(await ok("spec", "list")).not.toMatch(/spec-/);
    await eventually(async () => (await get(`${p.routerUrl}/spec-slow`)).status === 404, 5000);
    // Resources not of this deployment are untouched.
    expect((await get(`${p.routerUrl}/hello`)).status).toBe(200);
  }, 240_000);
});
