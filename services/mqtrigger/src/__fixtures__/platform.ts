// A real platform for mqtrigger tests: the executor's test platform (controller + storage +
// executor), a router on top, a function whose behaviour each message chooses, and a "sink"
// HTTP server the function reports to and waits on, so tests see every invocation from outside
// the mqtrigger and can hold invocations open.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, silentLogger } from "@fizz/common";
import { Router, routerConfig } from "@fizz/router";
import { createEnv, createFunction, createPackage, startPlatform as startBase, until, zip, type Platform as Base } from "../../../executor/src/__fixtures__/platform.js";
import { configSchema, type MqTriggerConfig } from "../config.js";
import { MqTrigger, type MqTriggerOptions } from "../mqtrigger.js";

export { until };

/** What the function was called with, as it reported to the sink. */
export interface Seen {
  msg: { id?: string; fail?: boolean; hold?: boolean };
  headers: Record<string, string>;
}

/**
 * Message (JSON): {id, fail?, hold?}. hold: waits until the test releases it; fail: answers 500;
 * otherwise echoes the message and the trigger headers it got.
 */
const functionCode = (sink: string) => `
module.exports = async (context) => {
  const req = context.request;
  let msg = {};
  try { msg = JSON.parse(req.rawBody.toString()); } catch {}
  await fetch(${JSON.stringify(sink)} + "/seen", { method: "POST", body: JSON.stringify({ msg, headers: req.headers }) });
  if (msg.hold) await fetch(${JSON.stringify(sink)} + "/hold?id=" + encodeURIComponent(msg.id));
  if (msg.fail) return { status: 500, body: "boom " + msg.id };
  return {
    status: 200,
    headers: { "content-type": "application/json", "x-answer": "yes" },
    body: JSON.stringify({ echo: msg, attempt: req.headers["x-fizz-mqtrigger-attempt"] }),
  };
};`;

export class Sink {
  readonly seen: Seen[] = [];
  private readonly held = new Map<string, ServerResponse[]>();
  maxHeld = 0;
  heldNow = 0;
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.on(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async on(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const c of req) body += c;
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/seen") {
      this.seen.push(JSON.parse(body) as Seen);
      res.end();
    } else if (url.pathname === "/hold") {
      const id = url.searchParams.get("id") ?? "";
      this.held.set(id, [...(this.held.get(id) ?? []), res]);
      this.heldNow++;
      this.maxHeld = Math.max(this.maxHeld, this.heldNow);
    } else res.writeHead(404).end();
  }

  /** Invocations that reported message `id`. */
  of(id: string): Seen[] {
    return this.seen.filter((s) => s.msg.id === id);
  }

  isHeld(id: string): boolean {
    return (this.held.get(id)?.length ?? 0) > 0;
  }

  release(id?: string): void {
    for (const [k, list] of [...this.held]) {
      if (id !== undefined && k !== id) continue;
      for (const res of list) res.end();
      this.heldNow -= list.length;
      this.held.delete(k);
    }
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export interface Platform extends Base {
  router: Router;
  sink: Sink;
  /** mqtrigger settings for this platform, plus `env`. */
  mqtConfig(env?: Record<string, string>): MqTriggerConfig;
  startMqTrigger(env?: Record<string, string>, options?: MqTriggerOptions): Promise<MqTrigger>;
  /** Creates a MessageQueueTrigger; spec fields as the API takes them. */
  createTrigger(name: string, spec: Record<string, unknown>): Promise<void>;
  shutdown(): Promise<void>;
}

/** Settings that keep tests quick: short ack wait, backoff and drain. */
export const TEST_ENV = { FIZZ_MQT_ACK_WAIT_MS: "2000", FIZZ_MQT_RETRY_BACKOFF_MS: "50", FIZZ_MQT_DRAIN_MS: "300", FIZZ_LOG_LEVEL: "warn" };

export async function startPlatform(): Promise<Platform> {
  const base = await startBase();
  const sink = new Sink();
  await sink.start();
  const router = new Router(routerConfig({ FIZZ_ROUTER: "127.0.0.1:0", FIZZ_ADMIN: base.controller.address, FIZZ_EXECUTOR: base.executor.address }), silentLogger);
  await router.start();
  await createEnv(base.admin, "nodejs", 2);
  await createPackage(base.admin, "echo-pkg", "nodejs", { type: "literal", literal: zip({ "index.js": functionCode(sink.url) }) });
  await createFunction(base.admin, "echo", "nodejs", "echo-pkg");
  const started: MqTrigger[] = [];
  const mqtConfig = (env: Record<string, string> = {}) =>
    loadConfig(configSchema, { ...TEST_ENV, FIZZ_MQTRIGGER: "127.0.0.1:0", FIZZ_ADMIN: base.controller.address!, FIZZ_ROUTER: router.url, ...env }, "mqtrigger");
  return Object.assign(base, {
    router,
    sink,
    mqtConfig,
    async startMqTrigger(env: Record<string, string> = {}, options: MqTriggerOptions = {}) {
      const m = new MqTrigger(mqtConfig(env), silentLogger, options);
      await m.start();
      started.push(m);
      return m;
    },
    async createTrigger(name: string, spec: Record<string, unknown>) {
      await base.admin.create({ resource: { kind: { case: "messageQueueTrigger", value: { metadata: { name }, spec } } } } as never);
    },
    async shutdown() {
      for (const m of started) await m.stop();
      await sink.close();
      await router.stop();
      await base.close();
    },
  });
}

/** The mqtrigger's status of one trigger, over its HTTP endpoint. */
export async function statusOf(address: string, name: string, namespace = "default"): Promise<Record<string, unknown> | undefined> {
  const all = (await (await fetch(`http://${address}/triggers`)).json()) as Array<Record<string, unknown>>;
  return all.find((t) => t.namespace === namespace && t.name === name);
}

/** Waits until the trigger is subscribed. */
export const subscribed = (address: string, name: string) =>
  until(`trigger ${name} subscribed`, async () => (await statusOf(address, name))?.subscribed === true, 15_000);
