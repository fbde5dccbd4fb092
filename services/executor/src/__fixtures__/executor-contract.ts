// The executor's contract, run against every backend (executor-contract.*.test.ts): what a router
// and a user see from poolmgr, whether instances are local processes or Kubernetes pods.
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { executorClient, sha256Hex, storageUrl, uploadArchive } from "@fizz/clients";
import type { FizzError } from "@fizz/common";
import { ArchiveSchema, Kind, RuntimeSchema, type Instance, type LogLine } from "@fizz/proto";
import { createEnv, createFunction, createPackage, deploy, fnSource, httpGet, instances, startPlatform, until, warmOf, zip, type Platform } from "./platform.js";

export interface ContractTarget {
  name: string;
  kubernetes?: boolean;
  /** Kills a specialized instance's runtime, as a crash would. */
  crash(p: Platform, inst: Instance): void;
  /** Instances survive an executor restart and are adopted (no cold start after it). */
  adoptsAfterRestart: boolean;
}

/** A function that prints `said <n>` for `?n=<n>`. */
export const TALK = `module.exports = async (context) => { console.log("said " + context.request.query.n); return { status: 200, body: "ok" }; };\n`;
const ref = (name: string) => ({ function: { name, namespace: "default" } });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as FizzError);

export function executorContract(t: ContractTarget): void {
  // Pods are two processes each and start in seconds on a loaded machine.
  const WAIT = 45_000;
  jest.setTimeout(180_000);
  let p: Platform;
  const warm = () => instances(p.exec, warmOf("nodejs"));
  const gone = (id: string) => until(`instance ${id} stopped`, async () => (await instances(p.exec, (i) => i.id === id)).length === 0, WAIT);

  beforeAll(async () => {
    p = await startPlatform({ FIZZ_RUNTIME_START_TIMEOUT_MS: "40000" }, { kubernetes: t.kubernetes });
    await createEnv(p.admin, "nodejs", 2);
  });
  afterAll(() => p?.close());

  describe(`executor contract (${t.name})`, () => {
    it("fills the pool, serves the first call cold and the second warm from the same instance, and refills the pool", async () => {
      const before = await until("2 warm instances", async () => ((await warm()).length === 2 ? warm() : false), WAIT);
      await deploy(p.admin, "hello", "nodejs", "hello v1");
      const first = await p.exec.getServiceForFunction(ref("hello"));
      expect(first.cold).toBe(true);
      expect(before.map((i) => i.id)).toContain(first.instanceId);
      expect(await httpGet(first.address)).toEqual({ status: 200, body: "hello v1" });
      const second = await p.exec.getServiceForFunction(ref("hello"));
      expect(second).toMatchObject({ address: first.address, instanceId: first.instanceId, cold: false });
      expect((await instances(p.exec, (i) => i.id === first.instanceId))[0]).toMatchObject({ state: "specialized", function: "default/hello" });
      await until("pool refilled", async () => {
        const now = await warm();
        return now.length === 2 && !now.some((i) => i.id === first.instanceId);
      }, WAIT);
    });

    it("shares one specialization between concurrent callers", async () => {
      await deploy(p.admin, "burst", "nodejs", "burst");
      const results = await Promise.all(Array.from({ length: 6 }, () => p.exec.getServiceForFunction(ref("burst"))));
      expect(new Set(results.map((r) => r.address)).size).toBe(1);
      expect((await instances(p.exec, (i) => i.function === "default/burst")).length).toBe(1);
    });

    it("stops a deleted function's instance", async () => {
      const r = await p.exec.getServiceForFunction(ref("burst"));
      await p.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "burst" });
      await gone(r.instanceId);
      expect(await failure(p.exec.getServiceForFunction(ref("burst")))).toMatchObject({ code: "NOT_FOUND" });
    });

    it("serves a new version after an update and retires the old instance", async () => {
      await deploy(p.admin, "upd", "nodejs", "v1");
      const v1 = await p.exec.getServiceForFunction(ref("upd"));
      const pkg = await p.admin.get({ kind: Kind.PACKAGE, namespace: "default", name: "upd-pkg" });
      if (pkg.kind.case !== "package") throw new Error("not a package");
      pkg.kind.value.spec!.deployment = create(ArchiveSchema, { type: "literal", literal: zip({ "index.js": fnSource("v2") }) });
      await p.admin.update({ resource: pkg });
      const v2 = await until("function update seen", async () => {
        const r = await p.exec.getServiceForFunction(ref("upd"));
        return r.functionResourceVersion !== v1.functionResourceVersion ? r : false;
      }, WAIT);
      expect(v2).toMatchObject({ cold: true });
      expect(v2.address).not.toBe(v1.address);
      expect(await httpGet(v2.address)).toEqual({ status: 200, body: "v2" });
      await gone(v1.instanceId);
    });

    it("gives another instance when the caller's are busy, up to the concurrency limit", async () => {
      await deploy(p.admin, "busy", "nodejs", "busy", { concurrency: 2 });
      const a = await p.exec.getServiceForFunction(ref("busy"));
      const b = await p.exec.getServiceForFunction({ ...ref("busy"), busyAddresses: [a.address] });
      expect(b.address).not.toBe(a.address);
      expect(await httpGet(b.address)).toEqual({ status: 200, body: "busy" });
      const err = await failure(p.exec.getServiceForFunction({ ...ref("busy"), busyAddresses: [a.address, b.address] }));
      expect(err).toMatchObject({ code: "RESOURCE_EXHAUSTED", reason: "CONCURRENCY_LIMIT" });
      expect(err?.message).toMatch(/concurrency 2/);
    });

    it("reaps instances idle longer than idletimeout, keeping tapped ones", async () => {
      await deploy(p.admin, "idle", "nodejs", "idle", { idletimeout: 1 });
      await deploy(p.admin, "tapped", "nodejs", "tapped", { idletimeout: 1 });
      const idle = await p.exec.getServiceForFunction(ref("idle"));
      const tapped = await p.exec.getServiceForFunction(ref("tapped"));
      const tapper = setInterval(() => void p.exec.tapServices({ addresses: [tapped.address] }).catch(() => {}), 200);
      try {
        await gone(idle.instanceId);
        expect((await instances(p.exec, (i) => i.id === tapped.instanceId))[0]?.state).toBe("specialized");
      } finally {
        clearInterval(tapper);
      }
      expect((await p.exec.getServiceForFunction(ref("idle"))).cold).toBe(true);
    });

    it("replaces a crashed specialized instance on the next call", async () => {
      await deploy(p.admin, "crashy", "nodejs", "crashy");
      const first = await p.exec.getServiceForFunction(ref("crashy"));
      const [inst] = await instances(p.exec, (i) => i.id === first.instanceId);
      t.crash(p, inst!);
      await gone(first.instanceId);
      const next = await p.exec.getServiceForFunction(ref("crashy"));
      expect(next.cold).toBe(true);
      expect(next.instanceId).not.toBe(first.instanceId);
      expect(await httpGet(next.address)).toEqual({ status: 200, body: "crashy" });
    });

    it("refuses a bad archive with a clear error and never reuses the instance", async () => {
      await createPackage(p.admin, "evil-pkg", "nodejs", { type: "literal", literal: zip({ "../../evil.js": fnSource("evil"), "index.js": fnSource("x") }) });
      await createFunction(p.admin, "evil", "nodejs", "evil-pkg");
      const err = await failure(p.exec.getServiceForFunction(ref("evil")));
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
      expect(err?.message).toMatch(/function "evil".*evil\.js/);
      await until("failed instance removed", async () => (await instances(p.exec, (i) => i.function === "default/evil")).length === 0, WAIT);
      await until("pool intact", async () => (await warm()).length === 2, WAIT);
    });

    it("reports the runtime's message when loading the function fails", async () => {
      await createPackage(p.admin, "noexp-pkg", "nodejs", { type: "literal", literal: zip({ "index.js": fnSource("x") }) });
      await createFunction(p.admin, "noexp", "nodejs", "noexp-pkg", { package: { packageref: { name: "noexp-pkg" }, functionName: "index.missing" } });
      const err = await failure(p.exec.getServiceForFunction(ref("noexp")));
      expect(["FAILED_PRECONDITION", "INVALID_ARGUMENT"]).toContain(err?.code);
      expect(err?.message).toMatch(/function "noexp".*missing/);
      await until("failed instance removed", async () => (await instances(p.exec, (i) => i.function === "default/noexp")).length === 0, WAIT);
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

    it("resizes a pool, recreates it when the runtime changes, and removes it with its environment", async () => {
      await createEnv(p.admin, "envupd", 2);
      const ofEnv = () => instances(p.exec, warmOf("envupd"));
      await until("2 warm", async () => (await ofEnv()).length === 2, WAIT);
      await deploy(p.admin, "onenv", "envupd", "on envupd");
      const special = await p.exec.getServiceForFunction(ref("onenv"));
      const update = async (spec: Record<string, unknown>) => {
        const r = await p.admin.get({ kind: Kind.ENVIRONMENT, namespace: "default", name: "envupd" });
        if (r.kind.case !== "environment") throw new Error("not an environment");
        Object.assign(r.kind.value.spec!, spec);
        await p.admin.update({ resource: r });
      };
      await update({ poolsize: 1 });
      await until("shrunk to 1", async () => (await ofEnv()).length === 1, WAIT);
      const before = (await ofEnv())[0]!.id;
      await update({ runtime: create(RuntimeSchema, { image: "nodejs", env: { GREETING: "hi" } }) });
      await until("recreated", async () => {
        const now = await ofEnv();
        return now.length === 1 && now[0]!.id !== before;
      }, WAIT);
      // The specialized instance of the old runtime is retired too.
      await gone(special.instanceId);
      await p.admin.delete({ kind: Kind.FUNCTION, namespace: "default", name: "onenv" });
      await p.admin.delete({ kind: Kind.PACKAGE, namespace: "default", name: "onenv-pkg" });
      await p.admin.delete({ kind: Kind.ENVIRONMENT, namespace: "default", name: "envupd" });
      await until("pool removed", async () => (await instances(p.exec, (i) => i.environment === "default/envupd")).length === 0, WAIT);
    });

    it("shows a function's console output in FunctionLogs, with tail, since and follow", async () => {
      await createPackage(p.admin, "talk-pkg", "nodejs", { type: "literal", literal: zip({ "index.js": TALK }) });
      await createFunction(p.admin, "talk", "nodejs", "talk-pkg");
      const r = await p.exec.getServiceForFunction(ref("talk"));
      const say = (n: number) => fetch(`http://${r.address}/?n=${n}`).then((res) => res.text());
      const said = async (req: { sinceMs?: bigint; tail?: number } = {}) => {
        const out: LogLine[] = [];
        for await (const l of p.exec.functionLogs({ ...ref("talk"), ...req })) if (l.text.startsWith("said ")) out.push(l);
        return out;
      };
      await say(1);
      const [one] = await until("line 1", async () => ((await said()).length === 1 ? said() : false), WAIT);
      expect(one).toMatchObject({ instanceId: r.instanceId, stream: "stdout", text: "said 1" });
      // Line 2 is written after this moment: --since from here shows it alone.
      const sinceMs = BigInt(await until("clock past line 1", () => (Date.now() > Number(one!.timeMs) + 1 ? Date.now() : false)));
      await say(2);
      await until("line 2", async () => (await said()).length === 2, WAIT);
      expect((await said()).map((l) => l.text)).toEqual(["said 1", "said 2"]);
      expect((await said({ tail: 1 })).map((l) => l.text)).toEqual(["said 2"]);
      expect((await said({ sinceMs })).map((l) => l.text)).toEqual(["said 2"]);

      const ac = new AbortController();
      const follow = p.exec.functionLogs({ ...ref("talk"), tail: 1, follow: true }, { signal: ac.signal })[Symbol.asyncIterator]();
      const next = async () => {
        for (;;) {
          const { value, done } = await follow.next();
          if (done) throw new Error("the follow ended");
          if (value.text.startsWith("said ")) return value.text;
        }
      };
      try {
        expect(await next()).toBe("said 2");
        await say(3);
        expect(await next()).toBe("said 3");
      } finally {
        ac.abort();
        await follow.return?.(undefined).catch(() => {});
      }
    });

    it(t.adoptsAfterRestart ? "adopts specialized instances after an executor restart (no cold start)" : "starts clean after an executor restart", async () => {
      const before = await p.exec.getServiceForFunction(ref("hello"));
      await p.executor.stop();
      p.executor = p.newExecutor();
      await p.executor.start();
      p.exec.close();
      p.exec = executorClient(p.executor.address!);
      const after = await p.exec.getServiceForFunction(ref("hello"));
      expect(await httpGet(after.address)).toEqual({ status: 200, body: "hello v1" });
      if (t.adoptsAfterRestart) expect(after).toMatchObject({ cold: false, instanceId: before.instanceId, address: before.address });
      else expect(after.cold).toBe(true);
      await until("pool refilled", async () => (await warm()).length === 2, WAIT);
    });
  });
}
