// The fetcher sidecar against a real storage service and a real nodejs runtime process.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { strToU8 } from "fflate";
import { loadConfig } from "@fizz/common";
import { fnSource, until, zip } from "../__fixtures__/platform.js";
import { packageJson as pkgJson, startStorage, type StorageFixture } from "./__fixtures__/storage.js";
import { configSchema } from "./config.js";
import { Fetcher } from "./server.js";

const runtimeMain = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "runtimes", "nodejs", "dist", "main.js");

let storage: StorageFixture;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  storage = await startStorage();
});
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
afterAll(() => storage.close());

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A real nodejs runtime on `port`, loading code from `dir`. */
async function startRuntime(dir: string, port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [runtimeMain], { env: { PATH: process.env["PATH"], PORT: String(port), HOST: "127.0.0.1", FIZZ_USERFUNC_DIR: dir }, stdio: ["ignore", "pipe", "pipe"] });
  cleanup.push(() => new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once("exit", () => r()), proc.kill("SIGKILL")))));
  await new Promise<void>((ok, fail) => {
    proc.stdout!.on("data", (d: Buffer) => d.toString().includes("listening") && ok());
    proc.once("exit", (code) => fail(new Error(`runtime exited ${code}`)));
  });
  return proc;
}

interface Pod {
  dir: string;
  runtimePort: number;
  fetcher: Fetcher;
  url: string;
}

/** A fetcher and (unless `runtime: false`) a runtime sharing a userfunc dir, as in one pod. */
async function startPod(env: Record<string, string> = {}, runtime = true): Promise<Pod> {
  const dir = await mkdtemp(join(tmpdir(), "fizz-userfunc-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const runtimePort = await freePort();
  if (runtime) await startRuntime(dir, runtimePort);
  const fetcher = new Fetcher(
    loadConfig(configSchema, { FIZZ_STORAGE: storage.address, FIZZ_FETCHER_PORT: "0", HOST: "127.0.0.1", FIZZ_USERFUNC_DIR: dir, FIZZ_RUNTIME_PORT: String(runtimePort), ...env }, "fetcher"),
  );
  await fetcher.start();
  cleanup.push(() => fetcher.stop());
  return { dir, runtimePort, fetcher, url: `http://${fetcher.address}` };
}

const uploaded = (data: Uint8Array) => storage.uploaded(data);

async function specialize(pod: Pod, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${pod.url}/specialize`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const callRuntime = async (pod: Pod) => {
  const res = await fetch(`http://127.0.0.1:${pod.runtimePort}/`);
  return { status: res.status, body: await res.text() };
};

/** What is left in the userfunc volume (nothing half-written may be). */
const volume = async (pod: Pod) => (await readdir(pod.dir)).sort();

describe("fetcher", () => {
  it("downloads from storage, unpacks, specializes the runtime, and refuses a second specialization", async () => {
    const pod = await startPod();
    expect((await fetch(`${pod.url}/healthz`)).status).toBe(200);
    const pkg = pkgJson(await uploaded(zip({ "index.js": fnSource("hello from storage") })));
    // No functionName: the runtime's default entry point, as the executor sends it.
    expect(await specialize(pod, { package: pkg })).toEqual({ status: 200, body: { ok: true } });
    expect(await callRuntime(pod)).toEqual({ status: 200, body: "hello from storage" });
    expect(await volume(pod)).toEqual(["deployarchive"]);

    const again = await specialize(pod, { package: pkg, functionName: "index" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "ALREADY_EXISTS", message: expect.stringMatching(/already specialized/) });
    expect(await callRuntime(pod)).toEqual({ status: 200, body: "hello from storage" });
  });

  it("specializes from a literal single-file package named by the entry point", async () => {
    const pod = await startPod();
    const pkg = pkgJson({ type: "literal", literal: strToU8(`exports.handler = async () => ({ status: 200, body: "literal hi" });\n`) });
    expect(await specialize(pod, { package: pkg, functionName: "hello.handler" })).toEqual({ status: 200, body: { ok: true } });
    expect(await readdir(join(pod.dir, "deployarchive"))).toEqual(["hello.js"]);
    expect(await callRuntime(pod)).toEqual({ status: 200, body: "literal hi" });
  });

  it("rejects bad archives with a clear error, leaves nothing behind, and can still be specialized", async () => {
    const pod = await startPod({ FIZZ_MAX_ARCHIVE_BYTES: "4096" });
    const good = zip({ "index.js": fnSource("ok") });
    const truncated = good.subarray(0, 40); // a zip header and then nothing
    const traversal = zip({ "index.js": fnSource("x"), "../escaped.js": "boom" });
    const huge = zip({ "index.js": fnSource("y"), "blob.txt": Array.from({ length: 4000 }, (_, i) => (i * 7919) % 10007).join(",") });
    const cases: [string, Uint8Array, number, RegExp][] = [
      ["malformed", truncated, 400, /./],
      ["path traversal", traversal, 400, /\.\.\/escaped\.js|outside|traversal|unsafe/i],
      ["over the size limit", huge, 429, /larger than 4096 bytes/],
    ];
    for (const [what, data, status, message] of cases) {
      const r = await specialize(pod, { package: pkgJson(await uploaded(data), `bad-${what.replace(/ /g, "-")}`), functionName: "index" });
      expect([what, r.status]).toEqual([what, status]);
      expect(r.body["message"]).toMatch(message);
      expect(typeof r.body["code"]).toBe("string");
      expect(await volume(pod)).toEqual([]);
      expect(existsSync(join(pod.dir, "..", "escaped.js"))).toBe(false);
    }
    const checksum = await specialize(pod, { package: pkgJson({ ...(await uploaded(good)), checksum: { type: "sha256", sum: "00".repeat(32) } }, "wrong-sum"), functionName: "index" });
    expect(checksum).toMatchObject({ status: 500, body: { code: "DATA_LOSS", message: expect.stringMatching(/checksum mismatch/) } });
    // Nothing was specialized: the pod still takes a good package.
    expect((await specialize(pod, { package: pkgJson(await uploaded(good), "good"), functionName: "index" })).status).toBe(200);
    expect(await callRuntime(pod)).toEqual({ status: 200, body: "ok" });
  });

  it("reports a runtime that cannot load the code, and stays generic", async () => {
    const pod = await startPod();
    const broken = await specialize(pod, { package: pkgJson(await uploaded(zip({ "index.js": "this is not javascript (" }))), functionName: "index" });
    expect(broken.status).toBeGreaterThanOrEqual(400);
    expect(broken.body).toMatchObject({ code: expect.stringMatching(/FAILED_PRECONDITION|INVALID_ARGUMENT/), message: expect.stringMatching(/specialize failed/) });
    expect(await volume(pod)).toEqual([]);
    expect((await specialize(pod, { package: pkgJson(await uploaded(zip({ "index.js": fnSource("second try") })), "fixed"), functionName: "index" })).status).toBe(200);
    expect((await callRuntime(pod)).body).toBe("second try");
  });

  it("names storage when it cannot be reached", async () => {
    const pod = await startPod({ FIZZ_STORAGE: `127.0.0.1:${await freePort()}` });
    const r = await specialize(pod, { package: pkgJson(await uploaded(zip({ "index.js": fnSource("z") }))), functionName: "index" });
    expect(r).toMatchObject({ status: 503, body: { code: "UNAVAILABLE" } });
    expect(await volume(pod)).toEqual([]);
  });

  it("answers malformed requests with INVALID_ARGUMENT or NOT_FOUND", async () => {
    const pod = await startPod({}, false);
    expect(await specialize(pod, "{nope")).toMatchObject({ status: 400, body: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/not JSON/) } });
    expect(await specialize(pod, { package: {}, functionName: 3 })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/functionName/) } });
    expect(await specialize(pod, { functionName: "f" })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/package/) } });
    expect(await specialize(pod, { package: { spec: { nope: 1 }, metadata: 3 }, functionName: "f" })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/not a Package/) } });
    expect((await fetch(`${pod.url}/elsewhere`)).status).toBe(404);
    expect(await specialize(pod, { package: pkgJson({}), functionName: "f" })).toMatchObject({ status: 412, body: { message: expect.stringMatching(/no deployment archive/) } });
  });

  it("specializes once at startup (FIZZ_SPECIALIZE_ON_STARTUP); /healthz is 503 until then", async () => {
    const body = { package: pkgJson(await uploaded(zip({ "index.js": fnSource("newdeploy") }))), functionName: "index" };
    // The runtime is not up yet: the fetcher keeps retrying and is not healthy.
    const pod = await startPod({ FIZZ_SPECIALIZE_ON_STARTUP: JSON.stringify(body) }, false);
    const early = await fetch(`${pod.url}/healthz`);
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/not specialized yet/) });
    await startRuntime(pod.dir, pod.runtimePort);
    await until("healthy", async () => (await fetch(`${pod.url}/healthz`)).status === 200, 20_000);
    expect(await callRuntime(pod)).toEqual({ status: 200, body: "newdeploy" });
    expect((await specialize(pod, body)).status).toBe(409);
  });

  it("refuses a bad FIZZ_SPECIALIZE_ON_STARTUP and bad ports at configuration time", () => {
    expect(() => loadConfig(configSchema, { FIZZ_SPECIALIZE_ON_STARTUP: "{" }, "fetcher")).toThrow(/FIZZ_SPECIALIZE_ON_STARTUP: must be the JSON body/);
    expect(() => loadConfig(configSchema, { FIZZ_SPECIALIZE_ON_STARTUP: "{}" }, "fetcher")).toThrow(/FIZZ_SPECIALIZE_ON_STARTUP\.package/);
    expect(() => loadConfig(configSchema, { FIZZ_FETCHER_PORT: "70000" }, "fetcher")).toThrow(/FIZZ_FETCHER_PORT/);
    const c = loadConfig(configSchema, {}, "fetcher");
    expect([c.host, c.port, c.userfuncDir, c.runtimeAddress]).toEqual(["0.0.0.0", 8000, "/userfunc", "127.0.0.1:8888"]);
  });
});
