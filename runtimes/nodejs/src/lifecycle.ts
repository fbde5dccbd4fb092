// The runtime process's lifecycle, shared by every runtime written in TypeScript (nodejs, exec):
// listen, announce readiness (stdout line, and an IPC message when forked), stop when the parent
// goes away, and drain on SIGTERM/SIGINT.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { logError } from "./respond.js";

/** A non-negative integer from the environment; a bad value stops the process with its name. */
export function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`fizz-runtime: ${name} must be a non-negative integer, got "${v}"\n`);
    process.exit(2);
  }
  return n;
}

export interface Servable {
  listen(port: number, host: string): Promise<{ port: number }>;
  /** Stops accepting and lets in-flight requests finish for up to graceMs. */
  close(graceMs: number): Promise<void>;
}

export interface ServeOptions {
  port: number;
  host: string;
  graceMs: number;
  /** process.ppid read first thing at startup, so a parent that dies meanwhile is noticed. */
  parent: number;
  onReady?: () => void;
}

/**
 * Prints `fizz-runtime listening on <host>:<port>` once serving and, with an IPC channel, sends
 * `{ready: true, port, address}`. Exits when the channel disconnects, or (without one) when the
 * parent process changes; SIGTERM/SIGINT close the server within the grace period.
 */
export function serveRuntime(runtime: Servable, o: ServeOptions): void {
  let stopping = false;
  function shutdown(code: number): void {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code), o.graceMs + 1_000).unref();
    void runtime.close(o.graceMs).then(() => process.exit(code));
  }

  runtime.listen(o.port, o.host).then(
    (addr) => {
      const shown = o.host.includes(":") ? `[${o.host}]` : o.host;
      process.stdout.write(`fizz-runtime listening on ${shown}:${addr.port}\n`);
      if (process.send) {
        process.send({ ready: true, port: addr.port, address: `${shown}:${addr.port}` });
        process.once("disconnect", () => shutdown(0));
      } else {
        setInterval(() => {
          if (process.ppid !== o.parent) shutdown(0);
        }, 1_000).unref();
      }
      if (o.onReady) setImmediate(o.onReady);
    },
    (err: unknown) => {
      logError(`cannot listen on ${o.host}:${o.port}`, err);
      process.exit(1);
    },
  );

  process.once("SIGTERM", () => shutdown(0));
  process.once("SIGINT", () => shutdown(0));
}

/** Stops accepting; idle keep-alive sockets close at once, busy ones after their request or graceMs. */
export function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    // Keep-alive sockets become idle after their in-flight request; drop them as soon as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const hard = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(hard);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** server.listen as a promise of the address actually bound (port 0 = ephemeral). */
export function listen(server: Server, port: number, host: string): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.removeListener("error", reject);
      const a = server.address() as AddressInfo;
      resolve({ host: a.address, port: a.port });
    });
  });
}
