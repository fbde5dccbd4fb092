// The built CLI against a real controller (in this process, on an ephemeral port).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { Controller } from "@fizz/controller";
import { runCli, type CliResult } from "./__fixtures__/run.js";
import { REPO_ROOT } from "./paths.js";

const FIXTURES = join(REPO_ROOT, "cli", "src", "__fixtures__");
let controller: Controller;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  controller = new Controller({ address: "127.0.0.1:0", stateDir: mkdtempSync(join(tmpdir(), "fizz-cli-it-")), historySize: 100 });
  await controller.start();
  // Nothing listens on port 1: a --code upload to storage would fail loudly.
  env = { FIZZ_ADMIN: controller.address!, FIZZ_STORAGE: "127.0.0.1:1" };
});

afterAll(async () => {
  await controller?.stop();
});

const fizz = (...args: string[]) => runCli(args, env, FIXTURES);
async function ok(...args: string[]): Promise<string> {
  const r = await fizz(...args);
  if (r.code !== 0) throw new Error(`fizz ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
const json = async (...args: string[]) => JSON.parse(await ok(...args, "-o", "json"));
async function packageNames(): Promise<string[]> {
  const { adminClient } = await import("@fizz/clients");
  const { Kind } = await import("@fizz/proto");
  const api = adminClient(controller.address!);
  try {
    return (await api.list({ kind: Kind.PACKAGE, namespace: "default" })).items.map((r) => (r.kind.case === "package" ? r.kind.value.metadata!.name : ""));
  } finally {
    api.close();
  }
}
const oneLineError = (r: CliResult, pattern: RegExp) => {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
};

describe("fizz env", () => {
  it("creates, lists, shows, updates and deletes an environment", async () => {
    expect(await ok("env", "create", "--name", "py", "--image", "fission/python-env", "--poolsize", "2")).toBe("environment 'py' created\n");
    expect(await ok("env", "list")).toMatch(/^NAME\s+IMAGE\s+POOLSIZE.*\npy\s+fission\/python-env\s+2\s/);
    const doc = await json("env", "get", "--name", "py");
    expect(doc).toMatchObject({ apiVersion: "fizz.dev/v1", kind: "Environment", metadata: { name: "py", namespace: "default" } });
    expect(doc.spec).toMatchObject({ runtime: { image: "fission/python-env" }, poolsize: 2 });
    const yaml = parse(await ok("env", "get", "--name", "py", "-o", "yaml"));
    expect(yaml.spec.poolsize).toBe(2);

    await ok("env", "update", "--name", "py", "--poolsize", "0", "--buildcmd", "./build.sh");
    expect((await json("env", "get", "--name", "py")).spec).toMatchObject({ poolsize: 0, builder: { command: "./build.sh" } });

    expect(await ok("env", "delete", "--name", "py")).toBe("environment 'py' deleted\n");
    expect(await json("env", "list")).toEqual([]);
  });

  it("reports validation and missing resources in one line", async () => {
    oneLineError(await fizz("env", "create", "--name", "Bad_Env", "--image", "nodejs"), /^fizz: .*Bad_Env.*DNS-1123/);
    oneLineError(await fizz("env", "get", "--name", "nope"), /^fizz: .*nope/);
  });
});

describe("fizz fn and route", () => {
  beforeAll(async () => {
    await ok("env", "create", "--name", "nodejs", "--image", "nodejs");
  });

  it("creates a function from --code with its package and route", async () => {
    const out = await ok("fn", "create", "--name", "greet", "--env", "nodejs", "--code", "greet.js", "--url", "/greet", "--method", "GET", "--fntimeout", "5");
    expect(out).toMatch(/^package 'greet-[a-z0-9]{6}' created\nfunction 'greet' created\nroute 'greet' created: GET \/greet -> greet\n$/);

    const fn = await json("fn", "get", "--name", "greet");
    expect(fn.spec).toMatchObject({
      environment: { name: "nodejs" },
      package: { functionName: "greet" },
      functionTimeout: 5,
      idletimeout: 120,
      concurrency: 500,
      requestsPerPod: 1,
      invokeStrategy: { executionStrategy: { executorType: "poolmgr" } },
    });
    const pkgName: string = fn.spec.package.packageref.name;
    expect(pkgName).toMatch(/^greet-/);

    const fns = await ok("fn", "list");
    expect(fns).toMatch(/^NAME\s+ENV\s+EXECUTORTYPE/);
    expect(fns).toMatch(new RegExp(`\\ngreet\\s+nodejs\\s+poolmgr\\s+${pkgName}\\s+greet\\s+5s`));
    expect(await ok("route", "list")).toMatch(/\ngreet\s+GET\s+\/greet\s+-\s+\*\s+greet\s/);
    const routes = await json("route", "list");
    expect(routes).toHaveLength(1);
    expect(routes[0].spec).toMatchObject({ relativeurl: "/greet", methods: ["GET"], functionref: { type: "name", name: "greet" } });
  });

  it("updates the package in place with fn update --code", async () => {
    const before = await json("fn", "get", "--name", "greet");
    const pkgName: string = before.spec.package.packageref.name;
    await ok("fn", "update", "--name", "greet", "--code", "greet-v2.js", "--idletimeout", "30");
    const after = await json("fn", "get", "--name", "greet");
    expect(after.spec.package.packageref.name).toBe(pkgName);
    expect(after.spec.package.functionName).toBe("greet-v2");
    expect(after.spec.idletimeout).toBe(30);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    // The package's deployment now holds the new file.
    const { adminClient } = await import("@fizz/clients");
    const { Kind } = await import("@fizz/proto");
    const { extractArchive } = await import("@fizz/archive");
    const api = adminClient(controller.address!);
    try {
      const r = await api.get({ kind: Kind.PACKAGE, namespace: "default", name: pkgName });
      const pkg = r.kind.case === "package" ? r.kind.value : undefined;
      expect(pkg?.spec?.deployment?.type).toBe("literal");
      expect(pkg?.metadata?.labels["fizz.dev/created-for-function"]).toBe("greet");
      const dir = mkdtempSync(join(tmpdir(), "fizz-cli-pkg-"));
      await extractArchive(pkg!.spec!.deployment!.literal, dir);
      const { readFileSync } = await import("node:fs");
      expect(readFileSync(join(dir, "greet-v2.js"), "utf8")).toContain("hello v2");
    } finally {
      api.close();
    }
  });

  it("creates routes by flags, with weights and prefixes", async () => {
    await ok("fn", "create", "--name", "greet2", "--env", "nodejs", "--code", "greet-v2.js");
    const out = await ok("route", "create", "--name", "split", "--function", "greet", "--weight", "80", "--function", "greet2", "--weight", "20", "--prefix", "/split", "--keep-prefix");
    expect(out).toBe("route 'split' created: ALL /split/*\n");
    const t = await json("httptrigger", "get", "--name", "split");
    expect(t.spec).toMatchObject({ prefix: "/split", keepPrefix: true, functionref: { type: "function-weights", functionweights: { greet: 80, greet2: 20 } } });
    await ok("route", "update", "--name", "split", "--function", "greet2", "--method", "post");
    expect((await json("route", "get", "--name", "split")).spec).toMatchObject({ methods: ["POST"], functionref: { type: "name", name: "greet2" } });
    // Conflicting routes are refused with the controller's explanation.
    oneLineError(await fizz("route", "create", "--function", "greet2", "--url", "/greet"), /already serves/);
    await ok("route", "delete", "--name", "split");
  });

  it("deletes a function with its route and package", async () => {
    const pkgName: string = (await json("fn", "get", "--name", "greet")).spec.package.packageref.name;
    const out = await ok("fn", "delete", "--name", "greet");
    expect(out).toBe(`function 'greet' deleted\nroute 'greet' deleted\npackage '${pkgName}' deleted\n`);
    expect((await json("route", "list")).map((t: any) => t.metadata.name)).not.toContain("greet");
    expect((await json("fn", "list")).map((f: any) => f.metadata.name)).toEqual(["greet2"]);
    oneLineError(await fizz("fn", "get", "--name", "greet"), /greet/);
  });

  it("reports mistakes in one clear line and leaves nothing half-made", async () => {
    oneLineError(await fizz("fn", "create", "--name", "Bad_Name", "--env", "nodejs", "--code", "greet.js"), /^fizz: function name "Bad_Name" is not a valid DNS-1123 name/);
    oneLineError(await fizz("fn", "create", "--name", "orphan", "--env", "no-such-env", "--code", "greet.js"), /no-such-env/);
    oneLineError(await fizz("fn", "create", "--name", "nofile", "--env", "nodejs", "--code", "missing.js"), /--code missing.js: no such file/);
    oneLineError(await fizz("fn", "create", "--name", "both", "--env", "nodejs"), /give one of --code FILE, --src PATH, --deploy PATH or --pkg NAME/);
    // A route that clashes is refused, and the function and package made before it are removed.
    await ok("route", "create", "--name", "taken", "--function", "greet2", "--url", "/taken");
    oneLineError(await fizz("fn", "create", "--name", "late", "--env", "nodejs", "--code", "greet.js", "--url", "/taken"), /already serves/);
    const fns = (await json("fn", "list")).map((f: any) => f.metadata.name);
    expect(fns).toEqual(["greet2"]);
    expect((await packageNames()).filter((n) => !n.startsWith("greet2-"))).toEqual([]);
    expect(await ok("fn", "update", "--name", "greet2", "--fntimeout", "9")).toBe("function 'greet2' updated\n");
    oneLineError(await fizz("fn", "update", "--name", "greet2"), /nothing to change/);
    // An environment in use cannot be deleted.
    oneLineError(await fizz("env", "delete", "--name", "nodejs"), /used by/);
  });
});
