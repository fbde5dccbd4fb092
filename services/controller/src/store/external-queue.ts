// Hands external changes to the controller one at a time, in the order they were seen; holds
// them until a handler is registered (the store loads, and watches, before the controller exists).
import { FizzError, type Logger } from "@fizz/common";
import type { ExternalChange, ExternalHandler } from "./store.js";

export class ExternalQueue {
  private readonly pending: ExternalChange[] = [];
  private handler?: ExternalHandler;
  private draining = false;
  private closed = false;

  constructor(
    private readonly log: Logger,
    handler?: ExternalHandler,
  ) {
    this.handler = handler;
  }

  setHandler(handler: ExternalHandler): void {
    this.handler = handler;
    void this.drain();
  }

  push(change: ExternalChange): void {
    this.pending.push(change);
    void this.drain();
  }

  close(): void {
    this.closed = true;
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.handler) return;
    this.draining = true;
    try {
      for (let c = this.pending.shift(); c && !this.closed; c = this.pending.shift()) {
        const at = { kind: c.kind, name: `${c.namespace}/${c.name}` };
        await Promise.resolve(c)
          .then((change) => this.handler!(change))
          .catch((err: unknown) => {
            // Changed again meanwhile: that newer change is queued behind this one.
            if (err instanceof FizzError && err.reason === "CONFLICT") this.log.debug({ ...at, err: String(err) }, "external change superseded");
            else this.log.warn({ ...at, err: String(err) }, "external change not applied");
          });
      }
    } finally {
      this.draining = false;
    }
  }
}
