// The executor's test platform (controller + storage + executor) plus a router, functions that
// answer a fixed status, traffic driven from the test, and canary services started on demand.
import { create } from "@bufbuild/protobuf";
import { silentLogger } from "@fizz/common";
import { Informer, wrap } from "@fizz/clients";
import { Router, routerConfig } from "@fizz/router";
import { CanaryConfigSchema, HTTPTriggerSchema, Kind, type CanaryConfig, type HTTPTrigger } from "@fizz/proto";
import { createEnv, createFunction, createPackage, startPlatform, until, zip, type Platform } from "../../../executor/src/__fixtures__/platform.js";
import { configSchema } from "../config.js";
import { CanaryService } from "../canary.js";

export { until };

export interface Traffic {
  /** Answers per function (the body names it) and status. */
  counts: Record<string, Record<number, number>>;
  stop(): Promise<void>;
}

export interface CanaryPlatform extends Platform {
  router: Router;
  startCanary(env?: Record<string, string>): Promise<CanaryService>;
  /** A function answering every request with `status`. */
  deployFn(name: string, status: number): Promise<void>;
  route(name: string, url: string, functionref: Record<string, unknown>): Promise<void>;
  createCanary(name: string, spec: Record<string, unknown>): Promise<void>;
  canary(name: string): Promise<CanaryConfig>;
  trigger(name: string): Promise<HTTPTrigger>;
  weights(trigger: string): Promise<Record<string, number>>;
  /** Resolves with the config once a watch event shows `ok` holding for it. */
  waitCanary(name: string, what: string, ok: (c: CanaryConfig) => boolean, timeoutMs?: number): Promise<CanaryConfig>;
  /** Requests to `path` back to back (2 at a time) until stopped. */
  traffic(path: string): Traffic;
  close(): Promise<void>;
}

// The body names the function, so traffic can be counted per version.
const fnSource = (name: string, status: number) => `module.exports = async () => ({ status: ${status}, body: ${JSON.stringify(name)} });\n`;

export async function startCanaryPlatform(): Promise<CanaryPlatform> {
  const base = await startPlatform();
  const router = new Router(routerConfig({ FIZZ_ROUTER: "127.0.0.1:0", FIZZ_ADMIN: base.controller.address!, FIZZ_EXECUTOR: base.executor.address! }), silentLogger);
  await router.start();
  await createEnv(base.admin, "nodejs", 2);
  const services: CanaryService[] = [];
  const traffics: Traffic[] = [];
  const informer = new Informer(base.admin, [Kind.CANARY_CONFIG]);
  await informer.start();
  const canaryOf = (name: string) => {
    const r = informer.get(Kind.CANARY_CONFIG, "default", name);
    return r?.kind.case === "canaryConfig" ? r.kind.value : undefined;
  };
  const p: CanaryPlatform = {
    ...base,
    router,
    async startCanary(env = {}) {
      const config = configSchema.parse({ FIZZ_CANARY: "127.0.0.1:0", FIZZ_ADMIN: base.controller.address, FIZZ_ROUTER: router.url, FIZZ_CANARY_RETRY_MS: "200", ...env });
      const c = new CanaryService(config, silentLogger);
      await c.start();
      services.push(c);
      return c;
    },
    async deployFn(name, status) {
      await createPackage(base.admin, `${name}-pkg`, "nodejs", { type: "literal", literal: zip({ "index.js": fnSource(name, status) }) });
      await createFunction(base.admin, name, "nodejs", `${name}-pkg`);
      // Specialized before the canary starts, so cold starts do not distort the first windows.
      await until(`router serving ${name}`, async () => (await fetch(`${router.url}/fizz-function/${name}`)).status === status, 30_000);
    },
    async route(name, url, functionref) {
      await base.admin.create({ resource: wrap(create(HTTPTriggerSchema, { metadata: { name }, spec: { relativeurl: url, functionref } })) });
      await until(`route ${url}`, async () => (await fetch(`${router.url}${url}`)).status !== 404, 10_000);
    },
    async createCanary(name, spec) {
      await base.admin.create({ resource: wrap(create(CanaryConfigSchema, { metadata: { name }, spec })) });
    },
    async canary(name) {
      const r = await base.admin.get({ kind: Kind.CANARY_CONFIG, name });
      if (r.kind.case !== "canaryConfig") throw new Error("not a canary config");
      return r.kind.value;
    },
    async trigger(name) {
      const r = await base.admin.get({ kind: Kind.HTTP_TRIGGER, name });
      if (r.kind.case !== "httpTrigger") throw new Error("not a trigger");
      return r.kind.value;
    },
    async weights(trigger) {
      return { ...(await p.trigger(trigger)).spec?.functionref?.functionweights };
    },
    waitCanary(name, what, ok, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const done = (err?: Error) => {
          clearTimeout(timer);
          informer.off("event", check);
          if (err) reject(err);
        };
        const check = () => {
          const c = canaryOf(name);
          if (c && ok(c)) {
            done();
            resolve(c);
          }
        };
        const timer = setTimeout(() => done(new Error(`canary ${name}: timed out waiting for ${what}; history: ${JSON.stringify(canaryOf(name)?.status?.history.map((h) => [h.action, h.newWeight, String(h.requests), String(h.failures), h.message]))}`)), timeoutMs);
        informer.on("event", check);
        check();
      });
    },
    traffic(path) {
      let stopped = false;
      const counts: Traffic["counts"] = {};
      const worker = async () => {
        while (!stopped) {
          const res = await fetch(`${router.url}${path}`).catch(() => undefined);
          if (!res) continue;
          const fn = await res.text();
          const byStatus = (counts[fn] ??= {});
          byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        }
      };
      const workers = [worker(), worker()];
      const t: Traffic = {
        counts,
        stop: async () => {
          stopped = true;
          await Promise.all(workers);
        },
      };
      traffics.push(t);
      return t;
    },
    async close() {
      for (const t of traffics) await t.stop();
      for (const c of services) await c.stop();
      informer.stop();
      await router.stop();
      await base.close();
    },
  };
  return p;
}

export const actions = (c: CanaryConfig) => c.status?.history.map((h) => `${h.action}:${h.newWeight}`) ?? [];
