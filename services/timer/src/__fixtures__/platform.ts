// The executor's test platform (controller + storage + executor) plus a router, a function that
// reports every call to a sink in this process, and timers started on demand.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger } from "@fizz/common";
import { Router, routerConfig } from "@fizz/router";
import { createEnv, createFunction, createPackage, startPlatform, until, zip, type Platform } from "../../../executor/src/__fixtures__/platform.js";
import { configSchema } from "../config.js";
import { Timer, type TimerOptions, type TriggerView } from "../timer.js";

export { until };

export interface Hit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** x-fizz-timer-scheduled-time, as ms since the epoch. */
  scheduled: number;
  trigger: string;
  attempt: number;
}

export interface TimerPlatform extends Platform {
  router: Router;
  /** Calls the function received that came from a timer, in arrival order. */
  hits: Hit[];
  /** Decides the status the function answers with (default 200). */
  respond: (h: Hit) => number;
  /** Runs when a hit arrives, before it is answered (inside the function's call). */
  onHit: (h: Hit) => void;
  startTimer(env?: Record<string, string>, opts?: TimerOptions): Promise<Timer>;
  deployReporter(name: string): Promise<void>;
  createTrigger(name: string, spec: Record<string, unknown>): Promise<void>;
  updateTrigger(name: string, change: (spec: Record<string, unknown>) => void): Promise<void>;
  deleteTrigger(name: string): Promise<void>;
  close(): Promise<void>;
}

// Forwards the call (method, path, headers) to the sink and answers with the sink's status.
const reporter = (sink: string) => `
module.exports = async (context) => {
  const r = context.request;
  const res = await fetch(${JSON.stringify(sink)}, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method: r.method, url: r.url, headers: r.headers }),
  });
  return { status: res.status, body: "status " + res.status };
};
`;

export async function startTimerPlatform(): Promise<TimerPlatform> {
  const base = await startPlatform();
  const router = new Router(routerConfig({ FIZZ_ROUTER: "127.0.0.1:0", FIZZ_ADMIN: base.controller.address!, FIZZ_EXECUTOR: base.executor.address! }), silentLogger);
  await router.start();
  const timers: Timer[] = [];
  const sink = await listenSink((h) => {
    p.onHit(h);
    if (h.trigger) p.hits.push(h);
    return p.respond(h);
  });
  await createEnv(base.admin, "nodejs", 1);
  const trigger = async (name: string) => {
    const { Kind } = await import("@fizz/proto");
    const r = await base.admin.get({ kind: Kind.TIME_TRIGGER, namespace: "default", name });
    if (r.kind.case !== "timeTrigger") throw new Error("not a time trigger");
    return r;
  };
  const p: TimerPlatform = {
    ...base,
    router,
    hits: [],
    respond: () => 200,
    onHit: () => undefined,
    async startTimer(env = {}, opts = {}) {
      const config = configSchema.parse({ FIZZ_TIMER: "127.0.0.1:0", FIZZ_ADMIN: base.controller.address, FIZZ_ROUTER: router.url, FIZZ_STATE_DIR: base.stateDir, ...env });
      const t = new Timer(config, silentLogger, opts);
      await t.start();
      timers.push(t);
      return t;
    },
    async deployReporter(name) {
      await createPackage(base.admin, `${name}-pkg`, "nodejs", { type: "literal", literal: zip({ "index.js": reporter(sink.url) }) });
      await createFunction(base.admin, name, "nodejs", `${name}-pkg`);
      // Warm it up through the router, so the first timer run does not race the router's watch.
      await until(`router serving ${name}`, async () => (await fetch(`${router.url}/fizz-function/${name}`)).status === 200, 30_000);
    },
    async createTrigger(name, spec) {
      await base.admin.create({ resource: { kind: { case: "timeTrigger", value: { metadata: { name }, spec } } } } as never);
    },
    async updateTrigger(name, change) {
      const r = await trigger(name);
      change(r.kind.value!.spec as unknown as Record<string, unknown>);
      await base.admin.update({ resource: r });
    },
    async deleteTrigger(name) {
      const { Kind } = await import("@fizz/proto");
      await base.admin.delete({ kind: Kind.TIME_TRIGGER, namespace: "default", name });
    },
    async close() {
      for (const t of timers) await t.stop();
      await router.stop();
      await new Promise((r) => sink.server.close(r));
      await base.close();
    },
  };
  return p;
}

/** The trigger's view on the timer's /triggers endpoint (over HTTP, as an operator sees it). */
export async function viewOf(timer: Timer, name: string): Promise<TriggerView | undefined> {
  const res = await fetch(`http://${timer.address}/triggers`);
  const body = (await res.json()) as { triggers: TriggerView[] };
  return body.triggers.find((t) => t.name === name);
}

export const hitsOf = (p: TimerPlatform, trigger: string) => p.hits.filter((h) => h.trigger === trigger);

async function listenSink(handle: (h: Hit) => number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const got = JSON.parse(Buffer.concat(chunks).toString()) as { method: string; url: string; headers: IncomingHttpHeaders };
      const h = got.headers;
      const hit: Hit = {
        ...got,
        scheduled: Date.parse(String(h["x-fizz-timer-scheduled-time"] ?? "")),
        trigger: String(h["x-fizz-timer-name"] ?? ""),
        attempt: Number(h["x-fizz-timer-attempt"] ?? 0),
      };
      res.writeHead(handle(hit)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hit` };
}
