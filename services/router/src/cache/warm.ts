import { notFound } from "@fizz/common";
import type { FnInfo } from "../routes/types.js";

/** A specialized instance the router holds, with the requests it has in flight through us. */
export interface Instance {
  readonly address: string;
  /** Function resource version the instance runs (from the executor). */
  readonly resourceVersion: string;
  inFlight: number;
  /** Requests at once through this address: requestsPerPod, or more for a Service over many pods. */
  readonly max: number;
  /** False once dropped (unreachable, function changed): releases no longer hand it on. */
  live: boolean;
  readonly owner: Entry | undefined;
}

export interface ServiceAddress {
  address: string;
  functionResourceVersion: string;
  /** Unset or 0: one instance, the function's requestsPerPod. */
  maxInFlight?: number;
}

/** Asks the executor for an instance; `busy` = the addresses we hold that are at capacity. */
export type GetService = (fn: FnInfo, busy: string[]) => Promise<ServiceAddress>;

interface Waiter {
  resolve(i: Instance): void;
  reject(e: unknown): void;
}

class Entry {
  readonly instances: Instance[] = [];
  readonly waiters: Waiter[] = [];
  calling = false;
  dropped = false;
  constructor(readonly fn: FnInfo) {}
}

/**
 * Warm-address cache: per function, the instances we hold and their in-flight counts. A hit is a
 * map lookup and a short scan; misses queue up behind at most one executor call per function,
 * and a released slot goes straight to the next waiter.
 */
export class WarmCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly getService: GetService) {}

  /** A slot on a held instance with spare capacity, or undefined (then call acquire). */
  tryAcquire(fn: FnInfo): Instance | undefined {
    const e = this.entries.get(fn.key);
    if (!e || e.waiters.length) return undefined; // don't overtake queued requests
    const list = e.instances;
    for (let i = 0; i < list.length; i++) {
      const inst = list[i]!;
      if (inst.inFlight < inst.max) {
        inst.inFlight++;
        return inst;
      }
    }
    return undefined;
  }

  /** Waits for a slot: a release, or a new instance from the (shared) executor call. */
  acquire(fn: FnInfo): Promise<Instance> {
    return new Promise((resolve, reject) => this.enqueue(this.entryFor(fn), { resolve, reject }));
  }

  release(inst: Instance): void {
    inst.inFlight--;
    const e = inst.owner;
    if (inst.live && e && e.waiters.length) this.serve(e);
  }

  /** Forgets an address (unreachable). */
  remove(fn: FnInfo, address: string): void {
    const e = this.entries.get(fn.key);
    if (!e) return;
    const i = e.instances.findIndex((x) => x.address === address);
    if (i >= 0) e.instances.splice(i, 1)[0]!.live = false;
  }

  /**
   * Forgets a function's instances (it changed or was deleted). Queued requests move to a fresh
   * entry for the new version, or fail when the function is gone.
   */
  drop(key: string, replacement?: FnInfo): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    e.dropped = true;
    for (const i of e.instances) i.live = false;
    const waiters = e.waiters.splice(0);
    if (!waiters.length) return;
    if (!replacement) {
      const err = notFound(`function "${e.fn.name}" not found`);
      for (const w of waiters) w.reject(err);
      return;
    }
    const fresh = this.entryFor(replacement);
    for (const w of waiters) this.enqueue(fresh, w);
  }

  /** Held instances per function key (debugging, tests). */
  snapshot(): Record<string, Array<{ address: string; inFlight: number }>> {
    const out: Record<string, Array<{ address: string; inFlight: number }>> = {};
    for (const [k, e] of this.entries) out[k] = e.instances.map((i) => ({ address: i.address, inFlight: i.inFlight }));
    return out;
  }

  private entryFor(fn: FnInfo): Entry {
    let e = this.entries.get(fn.key);
    if (!e) {
      e = new Entry(fn);
      this.entries.set(fn.key, e);
    }
    return e;
  }

  private enqueue(e: Entry, w: Waiter) {
    e.waiters.push(w);
    this.serve(e);
    if (e.waiters.length && !e.calling) this.call(e);
  }

  /** Hands free slots to waiters in arrival order. */
  private serve(e: Entry) {
    for (const inst of e.instances) {
      while (e.waiters.length && inst.inFlight < inst.max) {
        inst.inFlight++;
        e.waiters.shift()!.resolve(inst);
      }
      if (!e.waiters.length) return;
    }
  }

  private call(e: Entry) {
    e.calling = true;
    const busy = e.instances.map((i) => i.address);
    this.getService(e.fn, busy).then(
      (res) => {
        e.calling = false;
        let progress = false;
        if (!e.instances.some((i) => i.address === res.address)) {
          progress = true;
          const keep = !e.dropped && !olderThan(res.functionResourceVersion, e.fn.resourceVersion);
          const max = res.maxInFlight || e.fn.spec.requestsPerPod;
          const inst: Instance = { address: res.address, resourceVersion: res.functionResourceVersion, inFlight: 0, max, live: keep, owner: e };
          if (keep) e.instances.push(inst);
          else {
            // Executor still on an older version (or we dropped meanwhile): serve one request, don't keep it.
            const w = e.waiters.shift();
            if (w) {
              inst.inFlight = 1;
              w.resolve(inst);
            }
          }
        }
        this.serve(e);
        // More waiters: ask again if that call helped; otherwise releases will serve them.
        if (e.waiters.length && (progress || !e.instances.some((i) => i.inFlight > 0))) this.call(e);
      },
      (err) => {
        e.calling = false;
        for (const w of e.waiters.splice(0)) w.reject(err);
        if (!e.instances.length && this.entries.get(e.fn.key) === e) this.entries.delete(e.fn.key);
      },
    );
  }
}

/** Resource versions are one global decimal counter; unknown formats never count as older. */
function olderThan(a: string, b: string): boolean {
  if (!a || !b) return false;
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) && x < y;
}
