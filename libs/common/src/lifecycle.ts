import type { Logger } from "pino";

export interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** host:port actually bound, once started (reported to the parent process). */
  readonly address?: string;
  /** host:port of its HTTP /metrics listener, for gRPC-only services that run one. */
  readonly metricsAddress?: string | undefined;
}

/**
 * Runs a composition root as a process: start, then stop on SIGINT/SIGTERM (or when the parent
 * that spawned us goes away), exiting non-zero when start fails.
 */
export async function runService(name: string, svc: Service, log: Logger): Promise<void> {
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, `${name} stopping`);
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    try {
      await svc.stop();
    } catch (err) {
      log.error({ err }, `${name} stop failed`);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // Launched by `fizz up` with an IPC channel: die with the parent, never orphaned.
  if (process.send) process.on("disconnect", () => void stop("parent exited"));
  try {
    await svc.start();
  } catch (err) {
    log.fatal({ err }, `${name} failed to start`);
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.send?.({ ready: name, address: svc.address, metrics: svc.metricsAddress });
}
