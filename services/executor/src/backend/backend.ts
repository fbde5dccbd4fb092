// The seam between the pool manager and whatever runs runtime instances: local processes today,
// Kubernetes pods later. The pool manager only sees ids, addresses and work dirs.

/** What a backend needs to start a generic (unspecialized) instance of an Environment. */
export interface InstanceSpec {
  /** namespace/name of the Environment. */
  environment: string;
  /** Environment spec.runtime.image. */
  image: string;
  /** Extra environment variables (spec.runtime.env). */
  env: Record<string, string>;
  /** SIGTERM → SIGKILL delay when stopping, in ms. */
  graceMs: number;
}

export interface BackendInstance {
  id: string;
  /** host:port of the runtime's HTTP server. */
  address: string;
  pid?: number;
  /** Directory the runtime can read; the deployment archive is unpacked below it. */
  workDir: string;
}

export interface InstanceExit {
  id: string;
  code: number | null;
  signal: string | null;
  /** True when the exit was requested through stop(). */
  expected: boolean;
}

export interface RuntimeBackend {
  /** Removes what a previous run left behind (processes, pods, directories). Call before start(). */
  cleanup(): Promise<void>;
  /** Starts an instance and resolves once it serves HTTP. */
  start(spec: InstanceSpec): Promise<BackendInstance>;
  /** Stops an instance: graceful first, forced after the grace period. Resolves when it is gone. */
  stop(id: string, graceMs?: number): Promise<void>;
  /** Every exit, requested or not, is reported once. */
  onExit(listener: (exit: InstanceExit) => void): void;
  isAlive(id: string): boolean;
  /** Stops every instance (shutdown). */
  stopAll(graceMs?: number): Promise<void>;
}
