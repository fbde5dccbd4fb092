// Pools of local runtime processes: an EnvPool per Environment over the ProcessBackend; loading a
// function downloads and unpacks its archive here and calls the runtime's /v2/specialize.
import { FizzError, type Logger } from "@fizz/common";
import type { StorageClient } from "@fizz/clients";
import type { Package } from "@fizz/proto";
import { withSpan } from "@fizz/telemetry";
import { ArchiveFetcher, unpack } from "../poolmgr/archive.js";
import { RuntimeClient } from "../poolmgr/runtime-client.js";
import type { InstanceExit } from "./backend.js";
import type { ProcessBackend } from "./process-backend.js";
import { EnvPool, type PooledProcess } from "./env-pool.js";
import type { AdoptedInstance, LoadRequest, PoolExit, PoolBackend, PoolSpec, TakenInstance, WarmInstance } from "./pool-backend.js";

export class ProcessPoolBackend implements PoolBackend {
  private readonly pools = new Map<string, EnvPool>();
  /** Taken instances by id (their work dirs are needed to load them). */
  private readonly taken = new Map<string, PooledProcess>();
  private readonly listeners: Array<(e: PoolExit) => void> = [];
  private readonly runtime = new RuntimeClient();
  private readonly archives: ArchiveFetcher;

  constructor(
    private readonly processes: ProcessBackend,
    storage: () => StorageClient,
    private readonly maxArchiveBytes: number,
    private readonly log: Logger,
  ) {
    this.archives = new ArchiveFetcher(storage, maxArchiveBytes);
    processes.onExit((e) => this.exited(e));
  }

  async recover(): Promise<AdoptedInstance[]> {
    // A process dies with its executor: nothing to adopt, only orphans and directories to remove.
    await this.processes.cleanup();
    return [];
  }

  upsertPool(spec: PoolSpec): boolean {
    const { size, resources: _r, ...instanceSpec } = spec;
    const pool = this.pools.get(spec.environment);
    if (!pool) {
      // A health check right after start leaves a pooled connection and a warmed-up HTTP path
      // in the runtime, so the specialize call later costs one round trip on a hot socket.
      const created = new EnvPool(spec.environment, instanceSpec, size, this.processes, this.log, (i) => void this.runtime.healthy(i.address));
      this.pools.set(spec.environment, created);
      created.fill();
      return false;
    }
    return pool.update(instanceSpec, size);
  }

  deletePool(envKey: string): void {
    this.pools.get(envKey)?.close();
    this.pools.delete(envKey);
  }

  async take(envKey: string): Promise<TakenInstance> {
    const pool = this.pools.get(envKey);
    if (!pool) throw new FizzError("FAILED_PRECONDITION", `environment ${envKey} has no pool`);
    const inst = await pool.take();
    this.taken.set(inst.id, inst);
    return inst;
  }

  async prefetch(pkg: Package): Promise<void> {
    await withSpan("fetch archive", () => this.archives.fetch(pkg));
  }

  giveBack(inst: TakenInstance): void {
    const p = this.taken.get(inst.id);
    if (!p) return;
    this.taken.delete(inst.id);
    const pool = this.pools.get(inst.envKey);
    if (pool) pool.giveBack(p);
    else void this.processes.stop(p.id, p.graceMs);
  }

  async load(inst: TakenInstance, req: LoadRequest): Promise<void> {
    const p = this.taken.get(inst.id);
    if (!p) throw new FizzError("UNAVAILABLE", `instance ${inst.id} is gone`);
    try {
      const fetched = await this.archives.fetch(req.pkg);
      const filepath = await withSpan("unpack", () => unpack(fetched, p.workDir, this.maxArchiveBytes, req.functionName, req.v1));
      const body = req.v1 ? undefined : { filepath, functionName: req.functionName };
      await withSpan(req.v1 ? "POST /specialize" : "POST /v2/specialize", () => this.runtime.specialize(inst.address, body, req.timeoutMs));
    } finally {
      // Refill once the caller has its answer (see EnvPool.take): a fork before the gRPC
      // response is flushed adds its few ms of blocked event loop to this cold start.
      setTimeout(() => this.pools.get(inst.envKey)?.fill(), 20).unref();
    }
  }

  stop(id: string, graceMs: number): Promise<void> {
    return this.processes.stop(id, graceMs);
  }

  onExit(listener: (e: PoolExit) => void): void {
    this.listeners.push(listener);
  }

  isAlive(id: string): boolean {
    return this.processes.isAlive(id);
  }

  generation(envKey: string): number {
    return this.pools.get(envKey)?.generation ?? -1;
  }

  warm(): WarmInstance[] {
    return [...this.pools.values()].flatMap((p) => p.warmInstances().map(({ id, address, pid, envKey }) => ({ id, address, pid, envKey })));
  }

  async close(graceMs: number): Promise<void> {
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
    // No runtime outlives the executor.
    await this.processes.stopAll(graceMs);
    await this.runtime.close();
  }

  private exited(e: InstanceExit): void {
    const wasTaken = this.taken.delete(e.id);
    if (!wasTaken) {
      for (const pool of this.pools.values()) {
        if (!pool.has(e.id)) continue;
        pool.lost(e.id);
        for (const l of this.listeners) l({ ...e, warmIn: pool.key });
      }
      return;
    }
    for (const l of this.listeners) l(e);
  }
}
