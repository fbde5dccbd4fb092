// The warm pool of one Environment as local processes: `size` generic instances started ahead
// of demand.
import type { Logger } from "@fizz/common";
import type { InstanceSpec, RuntimeBackend } from "./backend.js";
import type { TakenInstance } from "./pool-backend.js";

const sameSpec = (a: InstanceSpec, b: InstanceSpec) =>
  a.image === b.image && a.graceMs === b.graceMs && JSON.stringify(Object.entries(a.env).sort()) === JSON.stringify(Object.entries(b.env).sort());

const REFILL_FALLBACK_MS = 250;

/** A started process, with the directory its archive is unpacked into. */
export interface PooledProcess extends TakenInstance {
  workDir: string;
}

export class EnvPool {
  private warm: PooledProcess[] = [];
  private starting = 0;
  private gen = 0;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly key: string,
    private spec: InstanceSpec,
    private size: number,
    private readonly backend: RuntimeBackend,
    private readonly log: Logger,
    /** Called once per new instance, e.g. to open a keep-alive connection ahead of use. */
    private readonly onStarted: (inst: PooledProcess) => void = () => {},
  ) {}

  get generation(): number {
    return this.gen;
  }

  warmInstances(): readonly PooledProcess[] {
    return this.warm;
  }

  /** Starts instances until warm + starting reaches the pool size. */
  fill(): void {
    if (this.closed || this.retryTimer) return;
    while (this.warm.length + this.starting < this.size) {
      this.starting++;
      const gen = this.gen;
      this.spawn()
        .then((inst) => {
          this.starting--;
          this.failures = 0;
          if (this.closed || gen !== this.gen) return this.drop([inst]);
          this.warm.push(inst);
        })
        .catch((err: Error) => {
          this.starting--;
          if (this.closed) return;
          // Back off so a broken runtime does not become a fork loop.
          const delay = Math.min(200 * 2 ** this.failures++, 10_000);
          this.log.warn({ env: this.key, err: err.message, retryMs: delay }, "could not start warm instance");
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            this.fill();
          }, delay).unref();
        });
    }
  }

  /**
   * A warm instance (removed from the pool), or a new one. The refill is left to the caller
   * (after its specialization) with a fallback timer: fork() blocks the event loop for a few ms
   * and a new process competes for CPU with the specialization we are waiting for.
   */
  async take(): Promise<PooledProcess> {
    const inst = this.warm.shift();
    setTimeout(() => this.fill(), REFILL_FALLBACK_MS).unref();
    return inst ?? this.spawn();
  }

  /** Returns an untouched instance (e.g. its specialization never began). */
  giveBack(inst: PooledProcess): void {
    if (this.closed || inst.poolGen !== this.gen || this.warm.length >= this.size) return this.drop([inst]);
    this.warm.push(inst);
    this.fill();
  }

  /** Whether an instance is one of the warm ones. */
  has(id: string): boolean {
    return this.warm.some((i) => i.id === id);
  }

  /** A warm instance went away (crash): forget it and refill. */
  lost(id: string): void {
    this.warm = this.warm.filter((i) => i.id !== id);
    this.fill();
  }

  /** Applies an Environment update; returns true when the runtime itself changed. */
  update(spec: InstanceSpec, size: number): boolean {
    const changed = !sameSpec(spec, this.spec);
    this.spec = spec;
    this.size = size;
    if (changed) {
      this.gen++;
      this.drop(this.warm.splice(0));
    } else if (this.warm.length > size) {
      this.drop(this.warm.splice(size));
    }
    this.fill();
    return changed;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.drop(this.warm.splice(0));
  }

  private drop(instances: PooledProcess[]) {
    for (const inst of instances) void this.backend.stop(inst.id, inst.graceMs);
  }

  private async spawn(): Promise<PooledProcess> {
    const b = await this.backend.start(this.spec);
    const inst: PooledProcess = { id: b.id, address: b.address, pid: b.pid, workDir: b.workDir, envKey: this.key, poolGen: this.gen, graceMs: this.spec.graceMs };
    this.onStarted(inst);
    return inst;
  }
}
