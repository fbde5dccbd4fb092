// The router's world for integration tests: a real controller and executor (local runtime
// processes) with one Node.js function module whose behaviour is chosen by query. Packages use
// literal deployment archives, so no storage service is involved.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@fizz/common";
import { adminClient, wrap, type AdminClient } from "@fizz/clients";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSchema, FunctionSchema, HTTPTriggerSchema, PackageSchema, type HTTPTriggerSpec } from "@fizz/proto";
import { Controller, configSchema as controllerConfig } from "@fizz/controller";
import { Executor, configSchema as executorConfig } from "@fizz/executor";
import { Router } from "../router.js";
import { routerConfig } from "../config.js";

// echo (default), sleep=ms, gate=file (answers once the file exists), status=N, crash, hang
// (records the hang-up in a file), bin (five non-UTF-8 bytes), and failbelow=N: 500 while
// X-Fizz-Invocation-Attempt is below N.
export const CODE = `
const fs = require("node:fs");
module.exports = async (context) => {
  const req = context.request;
  const q = req.query;
  if (q.crash) process.exit(3);
  if (q.hang) {
    context.response.on("close", () => fs.writeFileSync(q.hang, "closed"));
    return new Promise(() => {});
  }
  if (q.sleep) await new Promise((r) => setTimeout(r, Number(q.sleep)));
  while (q.gate && !fs.existsSync(q.gate)) await new Promise((r) => setTimeout(r, 20));
  if (q.bin) return { status: 200, headers: { "content-type": "application/octet-stream" }, body: Buffer.from([0, 1, 2, 255, 254]) };
  const attempt = Number(req.headers["x-fizz-invocation-attempt"] || 0);
  if (q.failbelow && attempt < Number(q.failbelow)) return { status: 500, body: "attempt " + attempt + " fails" };
  return {
    status: Number(q.status || 200),
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: req.url, method: req.method, pid: process.pid, headers: req.headers, body: req.rawBody.toString() }),
  };
};`;

export type FnSpec = { functionTimeout?: number; concurrency?: number; requestsPerPod?: number };
export type TriggerSpec = Partial<Omit<HTTPTriggerSpec, "$typeName" | "functionref">> & { functionref: { type: string; name: string } };
export const meta = (name: string) => ({ name, namespace: "default" });

export interface Backend {
  dir: string;
  controller: Controller;
  executor: Executor;
  admin: AdminClient;
  addFunction(name: string, spec?: FnSpec): Promise<void>;
  addTrigger(name: string, spec: TriggerSpec): ReturnType<AdminClient["create"]>;
  /** A router on an ephemeral port over this backend; `env` adds FIZZ_ROUTER_* settings. */
  router(env?: Record<string, string>): Promise<Router>;
  stop(): Promise<void>;
}

/** Controller + executor + the nodejs environment and the `code` package. */
export async function startBackend(prefix: string): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = { FIZZ_STATE_DIR: dir, FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STORAGE: "127.0.0.1:0", FIZZ_EXECUTOR: "127.0.0.1:0" };
  const controller = new Controller(controllerConfig.parse(env), silentLogger);
  await controller.start();
  const wired = { ...env, FIZZ_ADMIN: controller.address!, FIZZ_STORAGE: "127.0.0.1:1" };
  const executor = new Executor(executorConfig.parse(wired), silentLogger);
  await executor.start();
  const admin = adminClient(controller.address!);
  await admin.create({ resource: wrap(create(EnvironmentSchema, { metadata: meta("nodejs"), spec: { runtime: { image: "nodejs" }, poolsize: 2 } })) });
  await admin.create({
    resource: wrap(create(PackageSchema, { metadata: meta("code"), spec: { environment: meta("nodejs"), deployment: { type: "literal", literal: Buffer.from(CODE) } } })),
  });
  const routers: Router[] = [];
  return {
    dir,
    controller,
    executor,
    admin,
    async addFunction(name, spec = {}) {
      await admin.create({
        resource: wrap(create(FunctionSchema, { metadata: meta(name), spec: { environment: meta("nodejs"), package: { packageref: meta("code") }, ...spec } })),
      });
    },
    addTrigger: (name, spec) => admin.create({ resource: wrap(create(HTTPTriggerSchema, { metadata: meta(name), spec })) }),
    async router(extra = {}) {
      const r = new Router(
        routerConfig({ FIZZ_ROUTER: "127.0.0.1:0", FIZZ_ADMIN: controller.address!, FIZZ_EXECUTOR: executor.address!, FIZZ_STATE_DIR: dir, ...extra }),
        silentLogger,
      );
      await r.start();
      routers.push(r);
      return r;
    },
    async stop() {
      for (const r of routers) await r.stop().catch(() => undefined);
      admin.close();
      await executor.stop();
      await controller.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Got {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
  text: string;
}

/** fetch, with the body read as text and (when it parses) JSON. */
export async function get(base: string, path: string, init?: RequestInit): Promise<Got> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Polls until `fn` returns true, or fails after `ms`. */
export async function eventually(fn: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
