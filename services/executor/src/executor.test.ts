import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { FizzError } from "@fizz/common";
import { storageUrl, uploadArchive, sha256Hex } from "@fizz/clients";
import { create } from "@bufbuild/protobuf";
import { ArchiveSchema, Kind } from "@fizz/proto";
import { createEnv, createFunction, createPackage, deploy, fnSource, httpGet, instances, startPlatform, until, warmOf, zip, type Platform } from "./__fixtures__/platform.js";

let p: Platform;
const ref = (name: string) => ({ function: { name, namespace: "default" } });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as FizzError);
const warm = () => instances(p.exec, warmOf("nodejs"));

beforeAll(async () => {
  p = await startPlatform();
  await createEnv(p.admin, "nodejs", 2);
});

afterAll(() => p?.close());

describe("executor poolmgr", () => {
  it("fills the pool to poolsize", async () => {
    const w = await until("2 warm instances", async () => ((await warm()).length === 2 ? warm() : false));
    expect(w.every((i) => i.pid > 0 && /^127\.0\.0\.1:\d+$/.test(i.address))).toBe(true);
  });

  it("specializes on the first call, refills the pool, and reuses the instance", async () => {
    await deploy(p.admin, "hello", "nodejs", "hello v1");
    const warmBefore = new Set((await until("warm pool", async () => ((await warm()).length === 2 ? warm() : false))).map((i) => i.id));
    const first = await p.exec.getServiceForFunction(ref("hello"));
    expect(first.cold).toBe(true);
    expect(warmBefore.has(first.instanceId)).toBe(true);
    expect(await httpGet(first.address)).toEqual({ status: 200, body: "hello v1" });
    await until("pool refilled", async () => (await warm()).length === 2);
    const second = await p.exec.getServiceForFunction(ref("hello"));
    expect(second).toMatchObject({ address: first.address, instanceId: first.instanceId, cold: false });
    const listed = await instances(p.exec, (i) => i.id === first.instanceId);
    expect(listed[0]).toMatchObject({ state: "specialized", function: "default/hello" });
  });

  it("shares one specialization between concurrent callers", async () => {
    await deploy(p.admin, "burst", "nodejs", "burst");
    const results = await Promise.all(Array.from({ length: 6 }, () => p.exec.getServiceForFunction(ref("burst"))));
    expect(new Set(results.map((r) => r.address)).size).toBe(1);
    expect((await instances(p.exec, (i) => i.function === "default/burst")).length).toBe(1);
  });

  it("retires a deleted function's instances", async () => {
    const [inst] = await instances(p.exec, (i) => i.function === "default/burst");
    expect(inst).toBeDefined();
    await p.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "burst" });
    await until("instance stopped", async () => (await instances(p.exec, (i) => i.id === inst!.id)).length === 0);
    expect(await failure(p.exec.getServiceForFunction(ref("burst")))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("gives another instance when the caller's are busy, up to concurrency", async () => {
    await deploy(p.admin, "busy", "nodejs", "busy", { concurrency: 2 });
    const a = await p.exec.getServiceForFunction(ref("busy"));
    const b = await p.exec.getServiceForFunction({ ...ref("busy"), busyAddresses: [a.address] });
    expect(b.address).not.toBe(a.address);
    expect(b.cold).toBe(true);
    expect(await httpGet(b.address)).toEqual({ status: 200, body: "busy" });
    const err = await failure(p.exec.getServiceForFunction({ ...ref("busy"), busyAddresses: [a.address, b.address] }));
    expect(err).toMatchObject({ code: "RESOURCE_EXHAUSTED", reason: "CONCURRENCY_LIMIT" });
    expect(err?.message).toMatch(/concurrency 2/);
  });

  it("serves a new version after a package update and retires the old instance", async () => {
    await deploy(p.admin, "upd", "nodejs", "v1");
    const v1 = await p.exec.getServiceForFunction(ref("upd"));
    const pkg = await p.admin.get({ kind: Kind.PACKAGE, namespace: "default", name: "upd-pkg" });
    if (pkg.kind.case !== "package") throw new Error("not a package");
    pkg.kind.value.spec!.deployment = create(ArchiveSchema, { type: "literal", literal: zip({ "index.js": fnSource("v2") }) });
    await p.admin.update({ resource: pkg });
    const v2 = await until("function update seen", async () => {
      const r = await p.exec.getServiceForFunction(ref("upd"));
      return r.functionResourceVersion !== v1.functionResourceVersion ? r : false;
    });
    expect(v2.address).not.toBe(v1.address);
    expect(v2.cold).toBe(true);
    expect(await httpGet(v2.address)).toEqual({ status: 200, body: "v2" });
    await until("old instance stopped", async () => (await instances(p.exec, (i) => i.id === v1.instanceId)).length === 0);
  });

  it("reaps instances idle longer than idletimeout, keeping tapped ones", async () => {
    await deploy(p.admin, "idle", "nodejs", "idle", { idletimeout: 1 });
    await deploy(p.admin, "tapped", "nodejs", "tapped", { idletimeout: 1 });
    const idle = await p.exec.getServiceForFunction(ref("idle"));
    const tapped = await p.exec.getServiceForFunction(ref("tapped"));
    const started = Date.now();
    const tapper = setInterval(() => void p.exec.tapServices({ addresses: [tapped.address] }).catch(() => {}), 200);
    try {
      await until("idle instance reaped", async () => (await instances(p.exec, (i) => i.id === idle.instanceId)).length === 0, 4000);
      expect(Date.now() - started).toBeLessThan(3000);
      expect((await instances(p.exec, (i) => i.id === tapped.instanceId))[0]?.state).toBe("specialized");
    } finally {
      clearInterval(tapper);
    }
    const again = await p.exec.getServiceForFunction(ref("idle"));
    expect(again.cold).toBe(true);
  });

  it("fetches storage:// packages and verifies their checksum", async () => {
    const data = zip({ "index.js": fnSource("from storage") });
    const info = await uploadArchive(p.store, data);
    await createPackage(p.admin, "stored-pkg", "nodejs", { type: "url", url: storageUrl(info.id), checksum: { type: "sha256", sum: sha256Hex(data) } });
    await createFunction(p.admin, "stored", "nodejs", "stored-pkg");
    const r = await p.exec.getServiceForFunction(ref("stored"));
    expect(await httpGet(r.address)).toEqual({ status: 200, body: "from storage" });

    await createPackage(p.admin, "badsum-pkg", "nodejs", { type: "url", url: storageUrl(info.id), checksum: { type: "sha256", sum: "0".repeat(64) } });
    await createFunction(p.admin, "badsum", "nodejs", "badsum-pkg");
    expect(await failure(p.exec.getServiceForFunction(ref("badsum")))).toMatchObject({ code: "DATA_LOSS", reason: "CHECKSUM_MISMATCH" });
  });

  it("loads a plain single-file archive with a file.export entry point", async () => {
    const src = "exports.handler = async () => ({ status: 200, body: 'single' });\n";
    await createPackage(p.admin, "single-pkg", "nodejs", { type: "literal", literal: new TextEncoder().encode(src) });
    await createFunction(p.admin, "single", "nodejs", "single-pkg", { package: { packageref: { name: "single-pkg" }, functionName: "hello.handler" } });
    const r = await p.exec.getServiceForFunction(ref("single"));
    expect(await httpGet(r.address)).toEqual({ status: 200, body: "single" });
  });

  it("refuses archives with path traversal and keeps the pool intact", async () => {
    await createPackage(p.admin, "evil-pkg", "nodejs", { type: "literal", literal: zip({ "../../evil.js": fnSource("evil"), "index.js": fnSource("x") }) });
    await createFunction(p.admin, "evil", "nodejs", "evil-pkg");
    const err = await failure(p.exec.getServiceForFunction(ref("evil")));
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(err?.message).toMatch(/function "evil".*evil\.js/);
    expect((await instances(p.exec, (i) => i.function === "default/evil" && i.state !== "stopping")).length).toBe(0);
    await until("pool intact", async () => (await warm()).length === 2);
  });

  it("reports the runtime's message when specialization fails", async () => {
    await createPackage(p.admin, "noexp-pkg", "nodejs", { type: "literal", literal: zip({ "index.js": fnSource("x") }) });
    await createFunction(p.admin, "noexp", "nodejs", "noexp-pkg", { package: { packageref: { name: "noexp-pkg" }, functionName: "index.missing" } });
    const err = await failure(p.exec.getServiceForFunction(ref("noexp")));
    expect(["FAILED_PRECONDITION", "INVALID_ARGUMENT"]).toContain(err?.code);
    expect(err?.reason).toBe("SPECIALIZE_FAILED");
    expect(err?.message).toMatch(/specialize failed: .*missing/);
    await until("failed instance removed", async () => (await instances(p.exec, (i) => i.function === "default/noexp")).length === 0);
    await until("pool intact", async () => (await warm()).length === 2);
  });

  it("answers NOT_FOUND for unknown functions and PACKAGE_NOT_BUILT for unbuilt packages", async () => {
    const nf = await failure(p.exec.getServiceForFunction(ref("nope")));
    expect(nf).toMatchObject({ code: "NOT_FOUND" });
    expect(nf?.message).toMatch(/function "nope" not found/);

    await createPackage(p.admin, "src-pkg", "nodejs", {}, { source: { type: "literal", literal: zip({ "index.js": fnSource("s") }) } });
    await createFunction(p.admin, "unbuilt", "nodejs", "src-pkg");
    const pending = await failure(p.exec.getServiceForFunction(ref("unbuilt")));
    expect(pending).toMatchObject({ code: "FAILED_PRECONDITION", reason: "PACKAGE_NOT_BUILT" });
    expect(pending?.message).toMatch(/buildstatus: pending.*fizz pkg info --name src-pkg/);
  });
});
