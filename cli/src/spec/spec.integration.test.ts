// The built CLI's `spec` commands against a real controller and storage service (in this process,
// on ephemeral ports): --spec writing, apply / re-apply / dry-run, ownership, archive reuse,
// a failing apply that reports what it did and converges on a re-run, --delete, destroy, and a
// directory in Fission's own format.
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { cpSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSchema, Kind } from "@fizz/proto";
import { wrap } from "@fizz/clients/resources";
import { REPO_ROOT } from "../paths.js";
import { runCli } from "../__fixtures__/run.js";
import { startTestPlatform, tree, type TestPlatform } from "../__fixtures__/platform.js";
import { UID_LABEL } from "./format.js";

// Each step runs the CLI as a process; generous for a loaded machine.
jest.setTimeout(180_000);

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.close();
});

const HELLO = "module.exports = async () => ({ status: 200, body: 'hello' });\n";
const inDir = (dir: string, env: NodeJS.ProcessEnv = p.env) => ({
  run: (...args: string[]) => runCli(args, env, dir),
  ok: async (...args: string[]) => {
    const r = await runCli(args, env, dir);
    if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  },
});
const labelsOf = async (kind: Kind, name: string) => {
  const r = await p.admin.get({ kind, namespace: "default", name });
  return r.kind.value!.metadata!.labels;
};

/** A project with an environment and a package of a directory larger than the inline limit, as specs. */
async function bigProject(prefix: string, kib: number) {
  const dir = tree({ "big/index.js": HELLO, "big/blob.bin": randomBytes(kib * 1024) });
  const f = inDir(dir);
  await f.ok("spec", "init");
  await f.ok("env", "create", "--name", `${prefix}-env`, "--image", "nodejs", "--spec");
  await f.ok("pkg", "create", "--name", `${prefix}-pkg`, "--env", `${prefix}-env`, "--deploy", "big", "--spec");
  return { dir, f };
}

describe("fizz spec", () => {
  it("init, --spec, validate, dry-run, apply, and a second apply that changes nothing", async () => {
    const dir = tree({ "hello.js": HELLO });
    const f = inDir(dir);
    expect(await f.ok("spec", "init")).toMatch(/created specs\/fizz-deployment-config\.yaml/);
    expect((await f.run("spec", "init")).stderr).toMatch(/already exists/);
    await f.ok("env", "create", "--name", "sp-node", "--image", "nodejs", "--poolsize", "0", "--spec");
    expect(await f.ok("fn", "create", "--name", "sp-hello", "--env", "sp-node", "--code", "hello.js", "--url", "/sp-hello", "--spec")).toMatch(
      /wrote archive 'sp-hello-\w+', package 'sp-hello-\w+', function 'sp-hello', httptrigger 'sp-hello' to specs\/function-sp-hello\.yaml/,
    );
    // --spec applied nothing; a second --spec of the same name is refused.
    await expect(p.admin.get({ kind: Kind.ENVIRONMENT, namespace: "default", name: "sp-node" })).rejects.toThrow(/not found/);
    expect((await f.run("env", "create", "--name", "sp-node", "--image", "nodejs", "--spec")).stderr).toMatch(/the specs already define environment 'sp-node' \(specs\/env-sp-node\.yaml:1\)/);
    expect(readFileSync(join(dir, "specs", "env-sp-node.yaml"), "utf8")).toMatch(/^apiVersion: fizz.dev\/v1\nkind: Environment\n/);

    expect(await f.ok("spec", "validate")).toMatch(/specs is valid: 4 resources, 1 archive in 3 files/);
    const dry = await f.ok("spec", "apply", "--dry-run");
    expect(dry).toMatch(/create\s+environment\s+sp-node/);
    expect(dry).toMatch(/create\s+package\s+sp-hello-\w+\s+deployment archive sp-hello-\w+: 1 file, sha256 [0-9a-f]{8}/);
    expect(dry).toMatch(/plan: 4 to create, 0 to update, 0 to delete, 0 unchanged \(dry run: nothing applied\)/);
    await expect(p.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "sp-hello" })).rejects.toThrow(/not found/);

    expect(await f.ok("spec", "apply")).toMatch(/4 changed \(4 created, 0 updated, 0 deleted\), 0 unchanged/);
    const uid = /uid: (\S+)/.exec(readFileSync(join(dir, "specs", "fizz-deployment-config.yaml"), "utf8"))![1];
    expect((await labelsOf(Kind.FUNCTION, "sp-hello"))[UID_LABEL]).toBe(uid);
    expect(await f.ok("spec", "apply")).toMatch(/^0 changed \(0 created, 0 updated, 0 deleted\), 4 unchanged\n$/);
    expect(await f.ok("spec", "list")).toMatch(/function\s+sp-hello\s+default/);

    // A code change is one package update, and nothing else.
    writeFileSync(join(dir, "hello.js"), HELLO.replace("hello", "hello v2"));
    expect(await f.ok("spec", "apply")).toMatch(/updated package 'sp-hello-\w+': deployment archive sp-hello-\w+ changed \(sha256 [0-9a-f]{8} → [0-9a-f]{8}\)\n1 changed \(0 created, 1 updated, 0 deleted\), 3 unchanged/);

    // Removing the function's file: kept without --delete, removed with it; destroy asks first.
    const fnFile = readFileSync(join(dir, "specs", "function-sp-hello.yaml"), "utf8");
    writeFileSync(join(dir, "specs", "function-sp-hello.yaml"), "");
    expect(await f.ok("spec", "apply")).toMatch(/3 no longer in the specs were kept/);
    expect(await f.ok("spec", "apply", "--delete")).toMatch(/deleted httptrigger 'sp-hello'[^]*deleted function 'sp-hello'[^]*3 changed \(0 created, 0 updated, 3 deleted\), 1 unchanged/);
    await expect(p.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "sp-hello" })).rejects.toThrow(/not found/);
    writeFileSync(join(dir, "specs", "function-sp-hello.yaml"), fnFile);
    const refused = await f.run("spec", "destroy");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/add --yes to delete these 1 resources/);
    await p.admin.get({ kind: Kind.ENVIRONMENT, namespace: "default", name: "sp-node" });
    expect(await f.ok("spec", "destroy", "--yes")).toMatch(/deleted environment 'sp-node'\n1 deleted/);
  });

  it("never takes over a resource it did not create: a name clash is an error and nothing is applied", async () => {
    await p.admin.create({ resource: wrap(create(EnvironmentSchema, { metadata: { name: "clash-env", namespace: "default" }, spec: { runtime: { image: "nodejs" } } })) });
    const dir = tree({});
    const f = inDir(dir);
    await f.ok("spec", "init");
    await f.ok("env", "create", "--name", "clash-env", "--image", "python", "--spec");
    await f.ok("env", "create", "--name", "clash-other", "--image", "nodejs", "--spec");
    const r = await f.run("spec", "apply");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/environment "clash-env" already exists in namespace "default" and does not belong to this deployment/);
    await expect(p.admin.get({ kind: Kind.ENVIRONMENT, namespace: "default", name: "clash-other" })).rejects.toThrow(/not found/);
    const env = await p.admin.get({ kind: Kind.ENVIRONMENT, namespace: "default", name: "clash-env" });
    expect(env.kind.case === "environment" && env.kind.value.spec?.runtime?.image).toBe("nodejs");
  });

  it("uploads a large archive once: unchanged content (a touched file) is neither uploaded nor rebuilt", async () => {
    const { dir, f } = await bigProject("big", 400);
    expect(readFileSync(join(dir, "specs", "package-big-pkg.yaml"), "utf8")).toMatch(/rootdir: big\ninclude:\n  - "\*\*"/);
    await f.ok("spec", "apply");
    const first = await p.getPackage("big-pkg");
    expect(first.spec?.deployment?.url).toMatch(/^storage:\/\//);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, "big", "blob.bin"), later, later);
    expect(await f.ok("spec", "apply")).toMatch(/^0 changed/);
    const second = await p.getPackage("big-pkg");
    expect(second.spec?.deployment?.url).toBe(first.spec?.deployment?.url);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it("stops at the first failing step, says what was applied, and a re-run converges", async () => {
    const { dir, f } = await bigProject("half", 300);
    // Storage unreachable: the environment lands, the package's upload fails.
    const broken = inDir(dir, { ...p.env, FIZZ_STORAGE: "127.0.0.1:1" });
    const r = await broken.run("spec", "apply");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not create package 'half-pkg': cannot reach the storage service .*; applied before this: created environment 'half-env'\. Fix it and run fizz spec apply again/);
    expect(await f.ok("spec", "apply")).toMatch(/created package 'half-pkg'[^]*1 changed \(1 created, 0 updated, 0 deleted\), 1 unchanged/);
  });

  it("applies a spec directory in Fission's format as it is", async () => {
    const dir = tree({});
    cpSync(join(REPO_ROOT, "cli", "src", "spec", "__fixtures__", "fission"), dir, { recursive: true });
    const f = inDir(dir);
    const out = await f.ok("spec", "apply");
    expect(out).toMatch(/4 changed \(4 created/);
    const fn = await p.admin.get({ kind: Kind.FUNCTION, namespace: "default", name: "hello" });
    const meta = fn.kind.value!.metadata!;
    expect(meta.annotations["fission-uid"]).toBe("7b0c5f4e-0d3a-4a55-9e43-3f3f0c8d2a11");
    expect(meta.labels[UID_LABEL]).toBe("7b0c5f4e-0d3a-4a55-9e43-3f3f0c8d2a11");
    const t = await p.admin.get({ kind: Kind.HTTP_TRIGGER, namespace: "default", name: "hello-route" });
    expect(t.kind.case === "httpTrigger" && t.kind.value.spec?.methods).toEqual(["GET", "POST"]);
    expect(await f.ok("spec", "apply")).toMatch(/^0 changed/);
    expect(await f.ok("spec", "destroy", "--yes")).toMatch(/4 deleted/);
  });

  it("writes timers and message-queue triggers with --spec, and applies them", async () => {
    const dir = tree({ "tick.js": HELLO });
    const f = inDir(dir);
    await f.ok("spec", "init");
    await f.ok("env", "create", "--name", "sp-tick-env", "--image", "nodejs", "--poolsize", "0", "--spec");
    await f.ok("fn", "create", "--name", "sp-ticked", "--env", "sp-tick-env", "--code", "tick.js", "--spec");
    expect(await f.ok("timer", "create", "--name", "sp-tick", "--function", "sp-ticked", "--cron", "@every 5s", "--spec")).toMatch(
      /wrote timetrigger 'sp-tick' to specs\/timer-sp-tick\.yaml/,
    );
    expect(await f.ok("mqt", "create", "--name", "sp-orders", "--function", "sp-ticked", "--topic", "sp.orders", "--spec")).toMatch(
      /wrote messagequeuetrigger 'sp-orders' to specs\/mqt-sp-orders\.yaml/,
    );
    await expect(p.admin.get({ kind: Kind.TIME_TRIGGER, namespace: "default", name: "sp-tick" })).rejects.toThrow(/not found/);
    expect(await f.ok("spec", "apply")).toMatch(/5 changed \(5 created, 0 updated, 0 deleted\)/);
    const t = await p.admin.get({ kind: Kind.TIME_TRIGGER, namespace: "default", name: "sp-tick" });
    expect(t.kind.case === "timeTrigger" && t.kind.value.spec?.cron).toBe("@every 5s");
    expect(await f.ok("spec", "destroy", "--yes")).toMatch(/5 deleted/);
  });
});
