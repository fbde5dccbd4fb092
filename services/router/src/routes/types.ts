import type { EffectiveFunctionSpec } from "@fizz/clients";
import type { FnMetrics } from "../metrics.js";

/** What the router needs about a Function on the hot path, computed once per change. */
export interface FnInfo {
  /** "<namespace>/<name>": the cache and map key. */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  readonly resourceVersion: string;
  readonly spec: EffectiveFunctionSpec;
  /** Pre-built ObjectRef for executor calls (no allocation per call). */
  readonly ref: { readonly name: string; readonly namespace: string };
  /** Its request counters (set by the router when the table is built; unset with metrics off). */
  metrics?: FnMetrics | undefined;
}

/** A function a route points at; `fn` is undefined when the Function does not exist (→ 404). */
export interface FnSlot {
  readonly name: string;
  readonly namespace: string;
  fn: FnInfo | undefined;
}

/** A route's target: one function, or several picked by weight per request. */
export interface Target {
  readonly slots: readonly FnSlot[];
  /** Cumulative weights, same length as slots; empty for a single function. */
  readonly cumulative: readonly number[];
}

export type RouteKind = "exact" | "param" | "prefix";

/** One segment of a parameterized path: a literal, or a named capture with an optional regex. */
export type Segment = { literal: string } | { param: string; re: RegExp | undefined };

export interface Route {
  /** Trigger key, for debugging (/_fizz/routes). */
  readonly trigger: string;
  readonly kind: RouteKind;
  /** Exact path, prefix (no trailing slash, "" for "/") or the original pattern. */
  readonly path: string;
  readonly segments: readonly Segment[] | undefined;
  /** Lower-case host without port; "" = any. */
  readonly host: string;
  /** Upper-case methods; undefined = any. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly keepPrefix: boolean;
  readonly target: Target;
}

/** The outcome of a match: the function (or the missing one's name), the path to forward and path params. */
export interface Match {
  readonly slot: FnSlot;
  /** Path forwarded to the function (without query string). */
  readonly path: string;
  /** Flat [name, value, name, value, ...] or undefined. */
  readonly params: string[] | undefined;
  /** Key ("<namespace>/<name>") of the HTTPTrigger matched; undefined for /fizz-function/ calls. */
  readonly trigger?: string | undefined;
}
