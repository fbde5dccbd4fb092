// Every instance the pool manager knows about, indexed by id, address and function.
import type { TakenInstance } from "../backend/pool-backend.js";

export type InstanceState = "warm" | "specializing" | "specialized" | "stopping";

/** A taken instance (see PoolBackend) and what the pool manager does with it. */
export interface Instance extends TakenInstance {
  state: InstanceState;
  /** namespace/name of the Function, once specializing. */
  fnKey?: string;
  /** Function resourceVersion it was specialized for. */
  fnRv?: string;
  lastUsed: number;
}

export class Registry {
  private readonly byId = new Map<string, Instance>();
  private readonly byAddr = new Map<string, Instance>();
  private readonly byFn = new Map<string, Set<Instance>>();

  add(inst: Instance): void {
    this.byId.set(inst.id, inst);
    this.byAddr.set(inst.address, inst);
  }

  get(id: string): Instance | undefined {
    return this.byId.get(id);
  }

  byAddress(address: string): Instance | undefined {
    return this.byAddr.get(address);
  }

  all(): IterableIterator<Instance> {
    return this.byId.values();
  }

  forFunction(fnKey: string): ReadonlySet<Instance> {
    return this.byFn.get(fnKey) ?? EMPTY;
  }

  assign(inst: Instance, fnKey: string, fnRv: string): void {
    inst.fnKey = fnKey;
    inst.fnRv = fnRv;
    let set = this.byFn.get(fnKey);
    if (!set) this.byFn.set(fnKey, (set = new Set()));
    set.add(inst);
  }

  delete(inst: Instance): void {
    this.byId.delete(inst.id);
    if (this.byAddr.get(inst.address) === inst) this.byAddr.delete(inst.address);
    if (inst.fnKey) {
      const set = this.byFn.get(inst.fnKey);
      set?.delete(inst);
      if (set?.size === 0) this.byFn.delete(inst.fnKey);
    }
  }
}

const EMPTY: ReadonlySet<Instance> = new Set();
