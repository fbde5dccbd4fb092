// poolmgr: warm generic instances per Environment, specialized for a Function on first use,
// retired when the Function changes, reaped when idle, replaced when they crash.
import { create } from "@bufbuild/protobuf";
import { DEFAULT_NAMESPACE, FizzError, type Logger } from "@fizz/common";
import { DEFAULTS, keyOf, poolsizeOf, type Informer, type InformerEvent, type StorageClient } from "@fizz/clients";
import { InstanceSchema, Kind, type Environment, type Instance as InstanceMsg, type ObjectRef } from "@fizz/proto";
import type { InstanceExit, InstanceSpec, RuntimeBackend } from "../backend/backend.js";
import type { LogStore } from "../logs/log-store.js";
import { ArchiveFetcher, unpack } from "./archive.js";
import { EnvPool } from "./env-pool.js";
import { getFunction, resolveParts, type FunctionParts } from "./lookup.js";
import { Registry, type Instance } from "./registry.js";
import { RuntimeClient } from "./runtime-client.js";
import type { PoolEvents } from "../metrics.js";
import { withSpan } from "@fizz/telemetry";

export interface PoolManagerOptions {
  maxArchiveBytes: number;
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
}

const MAX_GRACE_MS = 30_000;
const REFILL_DELAY_MS = 20;

export class PoolManager {
  private readonly registry = new Registry();
  private readonly pools = new Map<string, EnvPool>();
  /** One specialization per function version at a time; concurrent callers share it. */
  private readonly inflight = new Map<string, Promise<ServiceResult>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly runtime = new RuntimeClient();
  private readonly archives: ArchiveFetcher;
  private reaper?: NodeJS.Timeout;
  private closed = false;
  readonly stats = { specializations: 0, crashes: 0, reaped: 0, retired: 0 };

  constructor(
    private readonly informer: Informer,
    private readonly backend: RuntimeBackend,
    storage: () => StorageClient,
    private readonly opts: PoolManagerOptions,
    private readonly log: Logger,
    /** Told which function an instance runs, so its output lands in that function's log. */
    private readonly logs?: LogStore,
    /** Cold starts, reaps and crashes as they happen (metrics). */
    private readonly events?: PoolEvents,
  ) {
    this.archives = new ArchiveFetcher(storage, opts.maxArchiveBytes);
  }

  /** Subscribes to resource changes and instance exits; call before the Informer starts. */
  start(): void {
    this.backend.onExit((e) => this.onExit(e));
    this.informer.on("event", (e) => this.onEvent(e));
    for (const r of this.informer.list(Kind.ENVIRONMENT)) if (r.kind.case === "environment") this.envUpserted(r.kind.value);
    this.reaper = setInterval(() => this.reap(), this.opts.reapIntervalMs).unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
    await this.backend.stopAll(2000);
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
    const pool = this.ensurePool(env);
    // Download while the pool hands out (or starts) an instance.
    const [took, fetched] = await Promise.allSettled([withSpan("take instance", () => pool.take()), withSpan("fetch archive", () => this.archives.fetch(pkg))]);
    if (took.status === "rejected") throw withContext(took.reason, `function "${fname}"`);
    const inst = took.value;
    if (fetched.status === "rejected") {
      pool.giveBack(inst);
      pool.fill();
      throw withContext(fetched.reason, `function "${fname}"`);
    }
    inst.state = "specializing";
    inst.lastUsed = Date.now();
    this.registry.assign(inst, fnKey, rv);
    // Before specializing: what the function prints while it loads is its own.
    this.logs?.assign(inst.id, fnKey);
    try {
      const functionName = fn.spec?.package?.functionName ?? "";
      const v1 = env.spec?.version === 1;
      const filepath = await withSpan("unpack", () => unpack(fetched.value, inst.workDir, this.opts.maxArchiveBytes, functionName, v1));
      const body = v1 ? undefined : { filepath, functionName };
      await withSpan(v1 ? "POST /specialize" : "POST /v2/specialize", () => this.runtime.specialize(inst.address, body, effective(parts).specializationTimeoutMs));
    } catch (err) {
      // The instance may hold half-loaded code: never reuse it.
      this.kill(inst);
      throw withContext(err, `function "${fname}"`);
    } finally {
      // Refill once the caller has its answer (see EnvPool.take): a fork before the gRPC
      // response is flushed adds its few ms of blocked event loop to this cold start.
      setTimeout(() => pool.fill(), REFILL_DELAY_MS).unref();
    }
    if (inst.state !== "specializing") throw new FizzError("UNAVAILABLE", `function "${fname}": instance ${inst.id} exited while specializing`);
    inst.state = "specialized";
    inst.lastUsed = Date.now();
    this.stats.specializations++;
    this.events?.specialized(env, fn, (performance.now() - began) / 1000);
    // Changed while we worked: serve this call, then let the instance go.
    const current = this.informer.get(Kind.FUNCTION, fn.metadata?.namespace, fname);
    if (current?.kind.case !== "function" || current.kind.value.metadata?.resourceVersion !== rv || inst.poolGen !== pool.generation) this.retire(inst);
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
    return [...this.registry.all()].map((i) =>
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

  private specOf(env: Environment): InstanceSpec {
    const tgp = env.spec?.terminationGracePeriod;
    return {
      environment: keyOf(env.metadata?.namespace, env.metadata?.name ?? ""),
      image: env.spec?.runtime?.image ?? "",
      env: { ...env.spec?.runtime?.env },
      graceMs: tgp === undefined ? this.opts.stopGraceMs : Math.min(Number(tgp) * 1000, MAX_GRACE_MS),
    };
  }

  private ensurePool(env: Environment): EnvPool {
    const key = keyOf(env.metadata?.namespace, env.metadata?.name ?? "");
    return this.pools.get(key) ?? this.envUpserted(env);
  }

  private envUpserted(env: Environment): EnvPool {
    const spec = this.specOf(env);
    const size = Math.max(0, poolsizeOf(env));
    let pool = this.pools.get(spec.environment);
    if (!pool) {
      // A health check right after start leaves a pooled connection and a warmed-up HTTP path
      // in the runtime, so the specialize call later costs one round trip on a hot socket.
      pool = new EnvPool(spec.environment, spec, size, this.backend, this.registry, this.log, (i) => void this.runtime.healthy(i.address));
      this.pools.set(spec.environment, pool);
      pool.fill();
    } else if (pool.update(spec, size)) {
      this.log.info({ env: spec.environment }, "environment runtime changed; recreating its instances");
      for (const inst of this.registry.all()) if (inst.envKey === spec.environment && inst.state === "specialized") this.retire(inst);
    }
    return pool;
  }

  private envDeleted(env: Environment): void {
    const key = keyOf(env.metadata?.namespace, env.metadata?.name ?? "");
    this.pools.get(key)?.close();
    this.pools.delete(key);
    for (const inst of this.registry.all()) if (inst.envKey === key && inst.state === "specialized") this.retire(inst);
  }

  private onExit(e: InstanceExit): void {
    const inst = this.registry.get(e.id);
    if (!inst) return;
    this.registry.delete(inst);
    const was = inst.state;
    inst.state = "stopping";
    if (e.expected || was === "stopping" || this.closed) return;
    this.stats.crashes++;
    this.events?.crashed(inst.envKey);
    this.log.warn({ instance: inst.id, env: inst.envKey, function: inst.fnKey, state: was, code: e.code, signal: e.signal }, "runtime instance exited unexpectedly");
    if (was === "warm") this.pools.get(inst.envKey)?.lost(inst);
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
