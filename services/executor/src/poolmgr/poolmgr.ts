// poolmgr: warm generic instances per Environment (kept by the backend), specialized for a
// Function on first use, retired when the Function changes, reaped when idle, replaced when they
// crash, adopted after an executor restart when the backend's instances outlive it.
import { create } from "@bufbuild/protobuf";
import { DEFAULT_NAMESPACE, FizzError, type Logger } from "@fizz/common";
import { DEFAULTS, keyOf, poolsizeOf, type Informer, type InformerEvent } from "@fizz/clients";
import { InstanceSchema, Kind, type Environment, type Instance as InstanceMsg, type ObjectRef } from "@fizz/proto";
import type { PoolBackend, PoolExit, PoolSpec, TakenInstance } from "../backend/pool-backend.js";
import type { LogStore } from "../logs/log-store.js";
import { getFunction, resolveParts, type FunctionParts } from "./lookup.js";
import { Registry, type Instance } from "./registry.js";
import { RuntimeClient } from "./runtime-client.js";
import type { PoolEvents } from "../metrics.js";
import { withSpan } from "@fizz/telemetry";

export interface PoolManagerOptions {
  reapIntervalMs: number;
  /** Delay before a retired instance is stopped, so in-flight requests finish. */
  drainMs: number;
  /** Grace when the Environment sets none. */
  stopGraceMs: number;
}

export interface ServiceResult {
  address: string;
  instanceId: string;
  functionResourceVersion: string;
  cold: boolean;
  /** Requests at once a router may send to the address; unset: the function's requestsPerPod. */
  maxInFlight?: number;
}

const MAX_GRACE_MS = 30_000;

export class PoolManager {
  private readonly registry = new Registry();
  /** Environments whose pool exists (the backend holds the pool itself). */
  private readonly pools = new Set<string>();
  /** One specialization per function version at a time; concurrent callers share it. */
  private readonly inflight = new Map<string, Promise<ServiceResult>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly runtime = new RuntimeClient();
  private reaper?: NodeJS.Timeout;
  private started = false;
  private closed = false;
  readonly stats = { specializations: 0, crashes: 0, reaped: 0, retired: 0 };

  constructor(
    private readonly informer: Informer,
    private readonly backend: PoolBackend,
    private readonly opts: PoolManagerOptions,
    private readonly log: Logger,
    /** Told which function an instance runs, so its output lands in that function's log. */
    private readonly logs?: LogStore,
    /** Cold starts, reaps and crashes as they happen (metrics). */
    private readonly events?: PoolEvents,
  ) {
    this.backend.onExit((e) => this.onExit(e));
    // Subscribed before the Informer starts; events before start() are covered by its listing.
    this.informer.on("event", (e) => this.started && this.onEvent(e));
  }

  /**
   * Once the Informer is synced: adopts what a previous executor left (or removes it), then
   * creates every Environment's pool.
   */
  async start(): Promise<void> {
    const isCurrent = (fnKey: string, rv: string) => {
      const [ns, name] = splitKey(fnKey);
      return this.informer.get(Kind.FUNCTION, ns, name)?.kind.value?.metadata?.resourceVersion === rv;
    };
    const envs = this.informer.list(Kind.ENVIRONMENT).flatMap((r) => (r.kind.case === "environment" ? [r.kind.value] : []));
    const adopted = await this.backend.recover(isCurrent, new Set(envs.map((e) => keyOf(e.metadata?.namespace, e.metadata?.name ?? ""))));
    for (const a of adopted) {
      const inst: Instance = { ...a, state: "specialized", lastUsed: Date.now() };
      this.registry.add(inst);
      this.registry.assign(inst, a.fnKey, a.fnRv);
      this.logs?.assign(inst.id, a.fnKey);
    }
    if (adopted.length) this.log.info({ instances: adopted.length }, "adopted specialized instances of a previous executor");
    this.started = true;
    for (const env of envs) this.envUpserted(env);
    this.reaper = setInterval(() => this.reap(), this.opts.reapIntervalMs).unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pools.clear();
    await this.backend.close(2000);
    await this.runtime.close();
  }

  async getServiceForFunction(ref: ObjectRef | undefined, busyAddresses: readonly string[] = []): Promise<ServiceResult> {
    if (this.closed) throw new FizzError("UNAVAILABLE", "executor is shutting down");
    const fn = getFunction(this.informer, ref);
    const fnKey = keyOf(fn.metadata?.namespace, fn.metadata?.name ?? "");
    const rv = fn.metadata?.resourceVersion ?? "";
    const busy = busyAddresses.length ? new Set(busyAddresses) : undefined;
    for (const inst of this.registry.forFunction(fnKey)) {
      if (inst.state === "specialized" && inst.fnRv === rv && !busy?.has(inst.address)) {
        inst.lastUsed = Date.now();
        return { address: inst.address, instanceId: inst.id, functionResourceVersion: rv, cold: false };
      }
    }
    const flightKey = `${fnKey}@${rv}`;
    const shared = this.inflight.get(flightKey);
    if (shared) return shared;
    const parts = resolveParts(this.informer, fn);
    const { concurrency } = effective(parts);
    let active = 0;
    for (const inst of this.registry.forFunction(fnKey)) if (inst.state !== "stopping") active++;
    if (active >= concurrency)
      throw new FizzError(
        "RESOURCE_EXHAUSTED",
        `function "${fn.metadata?.name}" already runs ${active} instances (concurrency ${concurrency})`,
        "CONCURRENCY_LIMIT",
      );
    // Tracing on: a span around the whole cold start with one child per step; off: plain calls.
    const attrs = { "fizz.function": fn.metadata?.name ?? "", "fizz.namespace": fn.metadata?.namespace ?? "", "fizz.environment": parts.env.metadata?.name ?? "" };
    const flight = withSpan("specialize", () => this.specialize(parts, fnKey, rv), attrs).finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, flight);
    return flight;
  }

  private async specialize(parts: FunctionParts, fnKey: string, rv: string): Promise<ServiceResult> {
    const { fn, env, pkg } = parts;
    const fname = fn.metadata?.name ?? "";
    const began = performance.now();
    const envKey = this.ensurePool(env);
    // Work that needs no instance (a local download) runs while the pool hands one out.
    const [took, fetched] = await Promise.allSettled([withSpan("take instance", () => this.backend.take(envKey, { key: fnKey, rv })), this.backend.prefetch?.(pkg)]);
    if (took.status === "rejected") throw withContext(took.reason, `function "${fname}"`);
    if (fetched.status === "rejected") {
      this.backend.giveBack(took.value);
      throw withContext(fetched.reason, `function "${fname}"`);
    }
    const inst = this.track(took.value);
    inst.state = "specializing";
    this.registry.assign(inst, fnKey, rv);
    // Before specializing: what the function prints while it loads is its own.
    this.logs?.assign(inst.id, fnKey);
    try {
      const req = { pkg, functionName: fn.spec?.package?.functionName ?? "", v1: env.spec?.version === 1, timeoutMs: effective(parts).specializationTimeoutMs };
      await this.backend.load(took.value, req);
    } catch (err) {
      // The instance may hold half-loaded code: never reuse it.
      this.kill(inst);
      throw withContext(err, `function "${fname}"`);
    }
    if (inst.state !== "specializing") throw new FizzError("UNAVAILABLE", `function "${fname}": instance ${inst.id} exited while specializing`);
    inst.state = "specialized";
    inst.lastUsed = Date.now();
    this.stats.specializations++;
    this.events?.specialized(env, fn, (performance.now() - began) / 1000);
    // Changed while we worked: serve this call, then let the instance go.
    const current = this.informer.get(Kind.FUNCTION, fn.metadata?.namespace, fname);
    if (current?.kind.case !== "function" || current.kind.value.metadata?.resourceVersion !== rv || inst.poolGen !== this.backend.generation(envKey)) this.retire(inst);
    return { address: inst.address, instanceId: inst.id, functionResourceVersion: rv, cold: true };
  }

  /** Routers report the instances they used; idle reaping counts from the last report. */
  tap(addresses: readonly string[]): void {
    const now = Date.now();
    for (const a of addresses) {
      const inst = this.registry.byAddress(a);
      if (inst?.state === "specialized") inst.lastUsed = now;
    }
  }

  /** A router could not reach an instance: drop it if it is dead or unhealthy. */
  async reportUnreachable(address: string): Promise<void> {
    const inst = this.registry.byAddress(address);
    if (!inst || inst.state !== "specialized") return;
    const ok = this.backend.isAlive(inst.id) && (await this.runtime.healthy(address));
    if (ok || inst.state !== "specialized") return;
    this.log.warn({ instance: inst.id, function: inst.fnKey, address }, "instance unreachable; replacing it");
    this.kill(inst);
  }

  list(): InstanceMsg[] {
    const warm = this.backend.warm().map((w) => ({ ...w, state: "warm", fnKey: undefined, lastUsed: 0 }));
    return [...warm, ...this.registry.all()].map((i) =>
      create(InstanceSchema, {
        id: i.id,
        environment: i.envKey,
        function: i.fnKey ?? "",
        address: i.address,
        state: i.state,
        pid: i.pid ?? 0,
        lastUsed: i.state === "specialized" ? new Date(i.lastUsed).toISOString() : "",
      }),
    );
  }

  private onEvent(e: InformerEvent): void {
    if (this.closed) return;
    const r = e.resource;
    if (r.kind.case === "environment") {
      if (e.type === "deleted") this.envDeleted(r.kind.value);
      else this.envUpserted(r.kind.value);
    } else if (r.kind.case === "function") {
      const m = r.kind.value.metadata;
      const fnKey = keyOf(m?.namespace, m?.name ?? "");
      for (const inst of [...this.registry.forFunction(fnKey)])
        if (inst.state === "specialized" && (e.type === "deleted" || inst.fnRv !== m?.resourceVersion)) this.retire(inst);
    }
  }

  private specOf(env: Environment): PoolSpec {
    const s = env.spec;
    const tgp = s?.terminationGracePeriod;
    const list = (l: { cpu: string; memory: string } | undefined) => (l ? { cpu: l.cpu, memory: l.memory } : undefined);
    return {
      environment: keyOf(env.metadata?.namespace, env.metadata?.name ?? ""),
      image: s?.runtime?.image ?? "",
      env: { ...s?.runtime?.env },
      graceMs: tgp === undefined ? this.opts.stopGraceMs : Math.min(Number(tgp) * 1000, MAX_GRACE_MS),
      size: Math.max(0, poolsizeOf(env)),
      resources: { requests: list(s?.resources?.requests), limits: list(s?.resources?.limits) },
    };
  }

  private ensurePool(env: Environment): string {
    const key = keyOf(env.metadata?.namespace, env.metadata?.name ?? "");
    return this.pools.has(key) ? key : this.envUpserted(env);
  }

  private envUpserted(env: Environment): string {
    const spec = this.specOf(env);
    const existed = this.pools.has(spec.environment);
    this.pools.add(spec.environment);
    if (this.backend.upsertPool(spec) && existed) {
      this.log.info({ env: spec.environment }, "environment runtime changed; recreating its instances");
      for (const inst of this.registry.all()) if (inst.envKey === spec.environment && inst.state === "specialized") this.retire(inst);
    }
    return spec.environment;
  }

  private envDeleted(env: Environment): void {
    const key = keyOf(env.metadata?.namespace, env.metadata?.name ?? "");
    this.backend.deletePool(key);
    this.pools.delete(key);
    for (const inst of this.registry.all()) if (inst.envKey === key && inst.state === "specialized") this.retire(inst);
  }

  private onExit(e: PoolExit): void {
    if (e.warmIn) {
      if (e.expected || this.closed) return;
      this.stats.crashes++;
      this.events?.crashed(e.warmIn);
      this.log.warn({ instance: e.id, env: e.warmIn, state: "warm", code: e.code, signal: e.signal }, "runtime instance exited unexpectedly");
      return;
    }
    const inst = this.registry.get(e.id);
    if (!inst) return;
    this.registry.delete(inst);
    const was = inst.state;
    inst.state = "stopping";
    if (e.expected || was === "stopping" || this.closed) return;
    this.stats.crashes++;
    this.events?.crashed(inst.envKey);
    this.log.warn({ instance: inst.id, env: inst.envKey, function: inst.fnKey, state: was, code: e.code, signal: e.signal }, "runtime instance exited unexpectedly");
  }

  private reap(): void {
    const now = Date.now();
    for (const inst of this.registry.all()) {
      if (inst.state !== "specialized" || !inst.fnKey) continue;
      const [ns, name] = splitKey(inst.fnKey);
      const fn = this.informer.get(Kind.FUNCTION, ns, name);
      // idletimeout 0 (unset in many specs) means the default, not "reap at once".
      const idleMs = (fn?.kind.case === "function" && fn.kind.value.spec?.idletimeout ? fn.kind.value.spec.idletimeout : DEFAULTS.idletimeout) * 1000;
      if (fn && now - inst.lastUsed < idleMs) continue;
      this.stats.reaped++;
      this.events?.reaped(inst.envKey);
      this.log.info({ instance: inst.id, function: inst.fnKey, idleMs: now - inst.lastUsed }, "reaping idle instance");
      this.retire(inst, 0);
    }
  }

  /** Stops an instance after the drain delay; it gets no new requests from now on. */
  private retire(inst: Instance, drainMs = this.opts.drainMs): void {
    if (inst.state === "stopping") return;
    inst.state = "stopping";
    this.stats.retired++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.backend.stop(inst.id, inst.graceMs);
    }, drainMs);
    t.unref();
    this.timers.add(t);
  }

  /** A taken instance, now the pool manager's. */
  private track(t: TakenInstance): Instance {
    const inst: Instance = { ...t, state: "specializing", lastUsed: Date.now() };
    this.registry.add(inst);
    return inst;
  }

  private kill(inst: Instance): void {
    inst.state = "stopping";
    void this.backend.stop(inst.id, 0);
  }
}

function effective(parts: FunctionParts) {
  const s = parts.fn.spec;
  return {
    concurrency: s?.concurrency || DEFAULTS.concurrency,
    specializationTimeoutMs: (s?.invokeStrategy?.executionStrategy?.specializationTimeout || DEFAULTS.specializationTimeout) * 1000,
  };
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf("/");
  return i < 0 ? [DEFAULT_NAMESPACE, key] : [key.slice(0, i), key.slice(i + 1)];
}

/** Prefixes an error's message with what was being done, keeping its code and reason. */
function withContext(err: unknown, what: string): FizzError {
  const e = err instanceof FizzError ? err : new FizzError("INTERNAL", err instanceof Error ? err.message : String(err));
  return new FizzError(e.code, `${what}: ${e.message}`, e.reason);
}
