import { describe, expect, it } from "@jest/globals";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kind } from "@fizz/proto";
import { Controller } from "../controller.js";
import { env, expectFizz, fn, pkg, route, startController, tempDir } from "../__fixtures__/harness.js";
import { FileStore } from "./file-store.js";
import { storeContract } from "../__fixtures__/store-contract.js";

/** Every file below dir, relative. */
function walk(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

storeContract("file", async () => {
  const stateDir = tempDir();
  return { start: () => startController({ stateDir }) };
});

describe("file store", () => {
  it("writes one protobuf-JSON file per resource and leaves no temp files", async () => {
    const c = await startController();
    await c.client.create({ resource: env("node") });
    await c.client.create({ resource: pkg("code") });
    await c.client.create({ resource: fn("hello") });
    await c.client.create({ resource: route("hello", {}, "web") });
    await c.client.update({ resource: await c.client.get({ kind: Kind.ENVIRONMENT, name: "node" }) });
    await c.stop();
    const root = join(c.stateDir, "resources");
    expect(walk(root).sort()).toEqual([
      "environment/default/node.json",
      "function/default/hello.json",
      "httptrigger/web/hello.json",
      "package/default/code.json",
    ]);
    const json = JSON.parse(readFileSync(join(root, "function/default/hello.json"), "utf8"));
    expect(json.function.metadata).toMatchObject({ name: "hello", namespace: "default", generation: "1" });
    expect(json.function.spec.package.packageref).toMatchObject({ name: "code", resourceversion: "2" });
  });

  it("refuses to start on a corrupt resource file, naming it", async () => {
    const stateDir = tempDir();
    const a = await startController({ stateDir });
    await a.client.create({ resource: env("node") });
    await a.stop();
    const bad = join(stateDir, "resources", "environment", "default", "broken.json");
    writeFileSync(bad, '{"environment": {"metadata": {"name": "bro');
    const c = new Controller({ address: "127.0.0.1:0", stateDir, historySize: 10 });
    await expectFizz(c.start(), "DATA_LOSS", new RegExp(`cannot load ${bad.replace(/[.]/g, "\\.")}: .*fix or remove that file`));
    expect(c.address).toBeUndefined();
  });

  it("refuses a file whose content belongs elsewhere, and a bad meta.json", async () => {
    const root = join(tempDir(), "resources");
    mkdirSync(join(root, "function", "default"), { recursive: true });
    writeFileSync(
      join(root, "function", "default", "a.json"),
      JSON.stringify({ environment: { metadata: { name: "a", namespace: "default", resourceVersion: "1" } } }),
    );
    await expect(new FileStore(root).load()).rejects.toThrow(/function\/default\/a\.json: it holds environment "default\/a"/);
    const root2 = join(tempDir(), "resources");
    mkdirSync(root2, { recursive: true });
    writeFileSync(join(root2, "meta.json"), '{"resourceVersion": "-3"}');
    await expect(new FileStore(root2).load()).rejects.toThrow(/meta\.json: resourceVersion is not a non-negative integer/);
  });

  it("removes temp files left by an interrupted write and keeps the old content", async () => {
    const stateDir = tempDir();
    const a = await startController({ stateDir });
    const e = await a.client.create({ resource: env("node") });
    await a.stop();
    const dir = join(stateDir, "resources", "environment", "default");
    const tmp = join(dir, ".node.json.1234.abcd.tmp");
    writeFileSync(tmp, '{"environment": {"metada');
    const b = await startController({ stateDir });
    expect(existsSync(tmp)).toBe(false);
    expect(await b.client.get({ kind: Kind.ENVIRONMENT, name: "node" })).toEqual(e);
    await b.stop();
  });
});
