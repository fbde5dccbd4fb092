// The seam between the pool manager and whatever runs runtime instances. A backend owns the warm
// pools (one per Environment), hands out instances, loads a function into one, stops instances,
// and recovers what a previous executor left. The pool manager owns everything above that:
// which instance serves which function version, sharing, limits, retiring and reaping.
import type { Package } from "@fizz/proto";
import type { InstanceExit } from "./backend.js";

/** An Environment's pool as the pool manager wants it. */
export interface PoolSpec {
  /** namespace/name of the Environment. */
  environment: string;
  /** Environment spec.runtime.image. */
  image: string;
  /** Extra environment variables (spec.runtime.env). */
  env: Record<string, string>;
  /** Stop grace (SIGTERM → SIGKILL, or the pod's terminationGracePeriod), in ms. */
  graceMs: number;
  /** Warm instances to keep (poolsize). */
  size: number;
  /** spec.resources (Kubernetes requests/limits; ignored by local processes). */
  resources?: { requests?: { cpu: string; memory: string }; limits?: { cpu: string; memory: string } };
}

/** An instance taken out of its pool. */
export interface TakenInstance {
  id: string;
  /** host:port of the runtime's HTTP server. */
  address: string;
  pid?: number;
  envKey: string;
  /** Generation of the pool it came from (a changed runtime bumps it). */
  poolGen: number;
  graceMs: number;
}

/** A warm instance, for listings. */
export interface WarmInstance {
  id: string;
  address: string;
  pid?: number;
  envKey: string;
}

/** The function version an instance is taken for. */
export interface FunctionVersion {
  /** namespace/name. */
  key: string;
  /** Function resourceVersion. */
  rv: string;
}

/** What to load into a taken instance. */
export interface LoadRequest {
  pkg: Package;
  /** Function spec.package.functionName ("" = the runtime's default). */
  functionName: string;
  /** Environment interface v1: POST /specialize without a body, code at userfunc/user. */
  v1: boolean;
  timeoutMs: number;
}

/** A specialized instance a previous executor left that still serves the current function version. */
export interface AdoptedInstance extends TakenInstance {
  fnKey: string;
  fnRv: string;
}

/** An instance's exit; warm instances' exits carry their Environment (the pool refills itself). */
export interface PoolExit extends InstanceExit {
  warmIn?: string;
}

export interface PoolBackend {
  /**
   * Before any pool exists: adopts instances still specialized for a current function version
   * (`isCurrent(fnKey, rv)`) and removes everything else a previous run left; pools of
   * Environments not in `environments` are deleted.
   */
  recover(isCurrent: (fnKey: string, fnRv: string) => boolean, environments: ReadonlySet<string>): Promise<AdoptedInstance[]>;
  /** Creates or updates an Environment's pool; true when its runtime changed (generation bumped). */
  upsertPool(spec: PoolSpec): boolean;
  /** Deletes an Environment's pool and its warm instances. */
  deletePool(envKey: string): void;
  /** A warm instance, now out of the pool (the pool refills), for `fn`; waits for one up to the start timeout. */
  take(envKey: string, fn: FunctionVersion): Promise<TakenInstance>;
  /** Optional work that can run while take() waits (e.g. downloading the archive locally). */
  prefetch?(pkg: Package): Promise<void>;
  /** Returns an instance whose loading never began. */
  giveBack(inst: TakenInstance): void;
  /** Loads a function into a taken instance; it serves the function once this resolves. */
  load(inst: TakenInstance, req: LoadRequest): Promise<void>;
  /** Stops a taken instance; resolves when it is gone. */
  stop(id: string, graceMs: number): Promise<void>;
  /** Every exit, requested or not, is reported once. */
  onExit(listener: (exit: PoolExit) => void): void;
  isAlive(id: string): boolean;
  generation(envKey: string): number;
  warm(): WarmInstance[];
  /** Shutdown: stops what this executor runs (locally: everything; on Kubernetes: nothing, pods outlive it). */
  close(graceMs: number): Promise<void>;
}
