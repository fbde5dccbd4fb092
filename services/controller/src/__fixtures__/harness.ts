// Test helpers: a real controller on an ephemeral port with a temp state dir, the real typed
// client, and small builders for valid resources.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "@jest/globals";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ResourceSchema, Resource, WatchEvent, WatchRequestSchema } from "@fizz/proto";
import { FizzError, type ErrorCode } from "@fizz/common";
import { adminClient, type AdminClient } from "@fizz/clients";
import { Controller } from "../controller.js";

export type ResourceInit = MessageInitShape<typeof ResourceSchema>;

export interface Running {
  controller: Controller;
  client: AdminClient;
  stateDir: string;
  stop(): Promise<void>;
}

const made: string[] = [];
// Registered once per test file that imports the harness: its temp state dirs go afterwards.
afterAll(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

export const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "fizz-controller-"));
  made.push(d);
  return d;
};

export async function startController(opts: { stateDir?: string; historySize?: number; kube?: { server: string } } = {}): Promise<Running> {
  const stateDir = opts.stateDir ?? tempDir();
  const kube = opts.kube && { namespace: "fizz", server: opts.kube.server };
  const controller = new Controller({ address: "127.0.0.1:0", stateDir, historySize: opts.historySize ?? 1000, kube });
  await controller.start();
  const client = adminClient(controller.address!);
  return {
    controller,
    client,
    stateDir,
    stop: async () => {
      client.close();
      await controller.stop();
    },
  };
}

export const env = (name: string, spec: Record<string, unknown> = {}, namespace?: string): ResourceInit => ({
  kind: { case: "environment", value: { metadata: { name, namespace }, spec: { runtime: { image: "nodejs" }, ...spec } } },
});

export const pkg = (name: string, spec: Record<string, unknown> = {}, namespace?: string): ResourceInit => ({
  kind: {
    case: "package",
    value: {
      metadata: { name, namespace },
      spec: { environment: { name: "node" }, deployment: { type: "literal", literal: new TextEncoder().encode("module.exports = async () => ({ body: 'hi' })") }, ...spec },
    },
  },
});

export const fn = (name: string, spec: Record<string, unknown> = {}, namespace?: string): ResourceInit => ({
  kind: {
    case: "function",
    value: { metadata: { name, namespace }, spec: { environment: { name: "node" }, package: { packageref: { name: "code" } }, ...spec } },
  },
});

export const route = (name: string, spec: Record<string, unknown> = {}, namespace?: string): ResourceInit => ({
  kind: {
    case: "httpTrigger",
    value: { metadata: { name, namespace }, spec: { relativeurl: `/${name}`, methods: ["GET"], functionref: { type: "name", name: "hello" }, ...spec } },
  },
});

/** The metadata of a returned resource. */
export const meta = (r: Resource | undefined) => {
  const m = r?.kind.value?.metadata;
  if (!m) throw new Error("resource has no metadata");
  return m;
};

/** Awaits a rejection and checks its code (and message). */
export async function expectFizz(p: Promise<unknown>, code: ErrorCode, message?: RegExp | string, reason?: string): Promise<FizzError> {
  const err = await p.then(
    () => new Error(`expected ${code}, but the call succeeded`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FizzError);
  const fe = err as FizzError;
  expect(`${fe.code}: ${fe.message}`).toMatch(new RegExp(`^${code}: `));
  if (message) expect(fe.message).toMatch(message);
  if (reason) expect(fe.reason).toBe(reason);
  return fe;
}

/** A watch stream read one event at a time, with a timeout so a missing event fails the test. */
export function openWatch(client: AdminClient, req: MessageInitShape<typeof WatchRequestSchema> = {}) {
  const ac = new AbortController();
  const it = client.watch(req, { signal: ac.signal })[Symbol.asyncIterator]();
  return {
    next: (ms = 3000): Promise<WatchEvent> =>
      Promise.race([
        it.next().then((r) => {
          if (r.done) throw new Error("watch ended");
          return r.value;
        }),
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no watch event within ${ms} ms`)), ms).unref()),
      ]),
    /** Resolves true when the stream ends (done) within ms. */
    ended: (ms = 3000): Promise<boolean> =>
      Promise.race([
        it.next().then((r) => r.done === true),
        new Promise<boolean>((res) => setTimeout(() => res(false), ms).unref()),
      ]),
    raw: it,
    cancel: () => ac.abort(),
  };
}

/** Polls until cond holds (or fails after ms). */
export async function eventually(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
