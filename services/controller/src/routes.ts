// HTTPTrigger checks: path shape, methods, function references, and route conflicts.
import type { HTTPTrigger, Resource } from "@fizz/proto";
import { RESERVED_ROUTER_PATHS, reservedRouterPath } from "@fizz/common";
import { metaOf } from "./kinds.js";
import { checkNamed, validateFunctionRef, type Fail } from "./validate-common.js";

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const PARAM = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/;

export function validateHttpTrigger(t: HTTPTrigger, fail: Fail): void {
  const s = t.spec;
  if (!s) throw fail("spec is required (spec.relativeurl or spec.prefix, and spec.functionref)");
  if (s.prefix === "") s.prefix = undefined;
  if (!s.relativeurl === (s.prefix === undefined))
    throw fail(s.relativeurl ? "give either spec.relativeurl or spec.prefix, not both" : "spec.relativeurl or spec.prefix is required");
  checkPath(s.prefix ?? s.relativeurl, s.prefix !== undefined ? "spec.prefix" : "spec.relativeurl", fail);
  s.host = s.host.toLowerCase();

  // The deprecated single `method` folds into `methods` (methods wins when both are set).
  // An empty list means every method, as a Fission trigger without methods has no method filter.
  const methods = s.methods.length > 0 ? s.methods : s.method ? [s.method] : [];
  s.methods = [...new Set(methods.map((m) => m.trim().toUpperCase()))];
  s.method = "";
  for (const m of s.methods)
    if (!(HTTP_METHODS as readonly string[]).includes(m)) throw fail(`method "${m}" is not one of ${HTTP_METHODS.join(", ")}`);

  validateFunctionRef(s.functionref, fail, true);
}

function checkPath(path: string, field: string, fail: Fail): void {
  if (!path.startsWith("/")) throw fail(`${field} "${path}" must start with "/"`);
  if (/[\s?#]/.test(path)) throw fail(`${field} "${path}" must not contain spaces, "?" or "#"`);
  // The router serves these itself, before any trigger: such a trigger would never be called.
  const reserved = reservedRouterPath(path);
  if (reserved)
    throw fail(`${field} "${path}" is reserved by the router (${reserved}); pick another path (reserved: ${RESERVED_ROUTER_PATHS.join(", ")})`);
  const seen = new Set<string>();
  for (const seg of path.split("/")) {
    if (!seg.includes("{") && !seg.includes("}")) continue;
    if (!PARAM.test(seg))
      throw fail(`${field} "${path}": segment "${seg}" is not a parameter; write a whole segment as {name} (letters, digits, _)`);
    if (seen.has(seg)) throw fail(`${field} "${path}": parameter ${seg} appears twice`);
    seen.add(seg);
  }
}

/** The route a trigger claims, with parameter names erased: /a/{x} and /a/{y} are one route. */
function routeKey(s: NonNullable<HTTPTrigger["spec"]>): string {
  const path = (s.prefix ?? s.relativeurl).replace(/\{[^/]*\}/g, "{}");
  return `${s.host}|${s.prefix !== undefined ? "prefix" : "url"}|${path}`;
}

const overlap = (a: string[], b: string[]) => a.length === 0 || b.length === 0 || a.some((m) => b.includes(m));

/** Another trigger that serves the same host, path and (some) method, if any. */
export function conflictingTrigger(t: HTTPTrigger, others: Resource[]): HTTPTrigger | undefined {
  const s = t.spec!;
  const k = routeKey(s);
  for (const o of others) {
    if (o.kind.case !== "httpTrigger") continue;
    const os = o.kind.value.spec;
    const om = metaOf(o);
    if (!os || (om.name === t.metadata!.name && om.namespace === t.metadata!.namespace)) continue;
    if (routeKey(os) === k && overlap(s.methods, os.methods)) return o.kind.value;
  }
  return undefined;
}
