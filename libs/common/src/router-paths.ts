// The paths the router serves itself, ahead of every user route. One list: the router dispatches
// on it and the controller rejects HTTPTriggers on it (a trigger there would be silently shadowed).
import { METRICS_PATH } from "./metrics.js";

export const HEALTHZ_PATH = "/healthz";
/** Async invocation status: GET /fizz-invocations[/<id>]. */
export const INVOCATIONS_PATH = "/fizz-invocations";
/** Router diagnostics (/_fizz/routes, /_fizz/stats). */
export const ROUTER_DEBUG_PREFIX = "/_fizz/";
/** Internal routes, one per Function (`/fizz-function/<name>`; Fission's spelling too). */
export const FUNCTION_PATH_PREFIXES = ["/fizz-function/", "/fission-function/"] as const;

const EXACT: readonly string[] = [HEALTHZ_PATH, METRICS_PATH];
/** Each a path and everything under it. */
const TREES: readonly string[] = [ROUTER_DEBUG_PREFIX, INVOCATIONS_PATH, ...FUNCTION_PATH_PREFIXES].map((p) => p.replace(/\/$/, ""));

const under = (path: string, root: string, sep: string) =>
  path.startsWith(root) && (path.length === root.length || sep.includes(path[root.length]!));

/** A request URL (path and query) that the router's own handlers serve, not the proxy (hot path). */
export const isRouterControlPath = (url: string): boolean =>
  url === HEALTHZ_PATH || url === METRICS_PATH || url.startsWith(ROUTER_DEBUG_PREFIX) || under(url, INVOCATIONS_PATH, "/?");

/** The reserved path (or path tree, as "/x/…") a route path would fall on, if any. */
export function reservedRouterPath(path: string): string | undefined {
  if (EXACT.includes(path)) return path;
  const tree = TREES.find((root) => under(path, root, "/"));
  return tree && `${tree}/…`;
}

/** Every reserved path, for messages and docs. */
export const RESERVED_ROUTER_PATHS: readonly string[] = [...EXACT, ...TREES.map((t) => `${t}/…`)];
