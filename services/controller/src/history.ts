// Watch fan-out: a bounded history of recent changes (for resuming watches) and the live
// subscribers. Publishing happens inside the controller's write lock, so events reach every
// subscriber in version order.
import { create } from "@bufbuild/protobuf";
import { EventType, WatchEventSchema, type Kind, type Resource, type WatchEvent } from "@fizz/proto";
import { FizzError } from "@fizz/common";
import { kindOf, metaOf } from "./kinds.js";

export interface Change {
  type: EventType.ADDED | EventType.MODIFIED | EventType.DELETED;
  resource: Resource;
  version: number;
}

export interface WatchFilter {
  /** Empty: every kind. */
  kinds: Set<Kind>;
  /** Empty: every namespace. */
  namespace: string;
}

export function matches(f: WatchFilter, r: Resource): boolean {
  return (f.kinds.size === 0 || f.kinds.has(kindOf(r).kind)) && (!f.namespace || metaOf(r).namespace === f.namespace);
}

export const toEvent = (c: Change): WatchEvent =>
  create(WatchEventSchema, { type: c.type, resource: c.resource, resourceVersion: String(c.version) });

export const tooOld = (msg: string) => new FizzError("OUT_OF_RANGE", msg, "TOO_OLD");

export class Subscription {
  private queue: WatchEvent[] = [];
  private wake?: () => void;
  private ended = false;
  private error?: FizzError;

  constructor(
    private readonly hub: WatchHub,
    readonly filter: WatchFilter,
    private readonly limit: number,
    signal: AbortSignal,
  ) {
    signal.addEventListener("abort", () => this.close(), { once: true });
    if (signal.aborted) this.close();
  }

  push(c: Change): void {
    if (this.ended || !matches(this.filter, c.resource)) return;
    // A client that stops reading must not grow our memory without bound: it relists instead.
    if (this.queue.length >= this.limit)
      return this.fail(tooOld(`watch fell more than ${this.limit} events behind; list again and watch from the new version`));
    this.queue.push(toEvent(c));
    this.notify();
  }

  /** The next event; undefined once the watch ended (client cancelled, server stopping). */
  async next(): Promise<WatchEvent | undefined> {
    for (;;) {
      const ev = this.queue.shift();
      if (ev) return ev;
      if (this.error) throw this.error;
      if (this.ended) return undefined;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  close(): void {
    this.ended = true;
    this.queue = [];
    this.hub.unsubscribe(this);
    this.notify();
  }

  private fail(err: FizzError): void {
    this.error = err;
    this.close();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

export class WatchHub {
  private readonly events: Change[] = [];
  private readonly subs = new Set<Subscription>();
  private closed = false;

  constructor(
    private readonly capacity: number,
    /** Changes after this version can be replayed; nothing before it is held. */
    private floor: number,
  ) {}

  get subscribers(): number {
    return this.subs.size;
  }

  publish(c: Change): void {
    this.events.push(c);
    // A small array: shifting a thousand pointers is cheaper than it sounds and keeps it simple.
    if (this.events.length > this.capacity) this.floor = this.events.shift()!.version;
    for (const s of this.subs) s.push(c);
  }

  /** Changes after `version`, or OUT_OF_RANGE when the history no longer reaches back there. */
  since(version: number, current: number): Change[] {
    if (version < this.floor || version > current)
      throw tooOld(
        `resource version ${version} is ${version > current ? "newer than this controller's" : "older than the watch history"} ` +
          `(it holds changes after ${this.floor}, up to ${current}); list again and watch from the new version`,
      );
    return this.events.filter((c) => c.version > version);
  }

  subscribe(filter: WatchFilter, signal: AbortSignal): Subscription {
    if (this.closed) throw new FizzError("UNAVAILABLE", "the controller is shutting down", "STOPPING");
    const s = new Subscription(this, filter, this.capacity, signal);
    if (!signal.aborted) this.subs.add(s);
    return s;
  }

  unsubscribe(s: Subscription): void {
    this.subs.delete(s);
  }

  /** Ends every watch cleanly (server stop). */
  close(): void {
    this.closed = true;
    for (const s of [...this.subs]) s.close();
  }
}
