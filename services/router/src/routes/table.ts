import type { Function as FnResource, FunctionReference, HTTPTrigger } from "@fizz/proto";
import { effectiveSpec, keyOf, nsOf } from "@fizz/clients";
import { FUNCTION_PATH_PREFIXES } from "@fizz/common";
import type { FnInfo, FnSlot, Match, Route, Segment, Target } from "./types.js";

/**
 * Internal routes, one per Function: `/fizz-function/<name>[/rest]` for the default namespace and
 * `/fizz-function/<namespace>/<name>[/rest]` for others (Fission's shape; `/fission-function/`
 * is accepted too). The namespaced reading wins when both exist. `/rest` (or "/") is forwarded.
 */
export const INTERNAL_PREFIXES = FUNCTION_PATH_PREFIXES;

const SLASH = 47;

export function fnInfo(fn: FnResource): FnInfo {
  const name = fn.metadata?.name ?? "";
  const namespace = nsOf(fn.metadata);
  return {
    key: keyOf(namespace, name),
    name,
    namespace,
    resourceVersion: fn.metadata?.resourceVersion ?? "",
    spec: effectiveSpec(fn),
    ref: { name, namespace },
  };
}

/**
 * The compiled route table: built once per resource change, matched per request without
 * allocating more than the Match (and a path split for parameterized routes).
 */
export class RouteTable {
  private readonly exact = new Map<string, Route[]>();
  private readonly params: Route[] = [];
  private readonly prefixes: Route[] = [];

  constructor(
    readonly functions: ReadonlyMap<string, FnInfo>,
    readonly routes: readonly Route[],
  ) {
    for (const r of routes) {
      if (r.kind === "exact") {
        const list = this.exact.get(r.path);
        if (list) list.push(r);
        else this.exact.set(r.path, [r]);
      } else if (r.kind === "param") this.params.push(r);
      else this.prefixes.push(r);
    }
    // Host-specific routes before host-less ones for the same path.
    const byHost = (a: Route, b: Route) => (b.host ? 1 : 0) - (a.host ? 1 : 0);
    for (const list of this.exact.values()) list.sort(byHost);
    const literals = (r: Route) => r.segments!.filter((s) => "literal" in s).length;
    this.params.sort((a, b) => literals(b) - literals(a) || byHost(a, b));
    this.prefixes.sort((a, b) => b.path.length - a.path.length || byHost(a, b));
  }

  static build(triggers: Iterable<HTTPTrigger>, functions: Iterable<FnResource>): RouteTable {
    const fns = new Map<string, FnInfo>();
    for (const f of functions) {
      const info = fnInfo(f);
      fns.set(info.key, info);
    }
    const routes: Route[] = [];
    for (const t of triggers) {
      const r = compileTrigger(t, fns);
      if (r) routes.push(r);
    }
    return new RouteTable(fns, routes);
  }

  static empty(): RouteTable {
    return new RouteTable(new Map(), []);
  }

  /** Finds the route for a request; `host` is the raw Host header. */
  match(method: string, path: string, host: string | undefined): Match | undefined {
    if (path.charCodeAt(1) === 102 /* f */) {
      for (const p of INTERNAL_PREFIXES) if (path.startsWith(p)) return this.internal(path, p.length);
    }
    let h: string | undefined;
    const hostOk = (r: Route) => !r.host || r.host === (h ??= normalizeHost(host));
    const exact = this.exact.get(path);
    if (exact) {
      for (const r of exact) {
        if ((!r.methods || r.methods.has(method)) && hostOk(r)) return { slot: pick(r.target), path, params: undefined, trigger: r.trigger };
      }
    }
    if (this.params.length) {
      const parts = path.split("/");
      for (const r of this.params) {
        if (r.methods && !r.methods.has(method)) continue;
        const params = matchSegments(r.segments!, parts);
        if (params && hostOk(r)) return { slot: pick(r.target), path, params, trigger: r.trigger };
      }
    }
    for (const r of this.prefixes) {
      const p = r.path;
      if (!path.startsWith(p) || (path.length > p.length && path.charCodeAt(p.length) !== SLASH)) continue;
      if ((r.methods && !r.methods.has(method)) || !hostOk(r)) continue;
      return { slot: pick(r.target), path: r.keepPrefix ? path : path.slice(p.length) || "/", params: undefined, trigger: r.trigger };
    }
    return undefined;
  }

  private internal(path: string, from: number): Match | undefined {
    const i = path.indexOf("/", from);
    const first = path.slice(from, i < 0 ? undefined : i);
    if (!first) return undefined;
    if (i >= 0) {
      const j = path.indexOf("/", i + 1);
      const second = path.slice(i + 1, j < 0 ? undefined : j);
      const fn = second ? this.functions.get(`${first}/${second}`) : undefined;
      if (fn) return { slot: { name: fn.name, namespace: fn.namespace, fn }, path: j < 0 ? "/" : path.slice(j), params: undefined };
    }
    const fn = this.functions.get(keyOf(undefined, first));
    return { slot: { name: first, namespace: fn?.namespace ?? "default", fn }, path: i < 0 ? "/" : path.slice(i), params: undefined };
  }
}

/** Picks the target's function: weighted random for function-weights. */
function pick(t: Target): FnSlot {
  if (t.slots.length === 1) return t.slots[0]!;
  const total = t.cumulative[t.cumulative.length - 1] ?? 0;
  const x = Math.random() * total;
  for (let i = 0; i < t.cumulative.length; i++) if (x < t.cumulative[i]!) return t.slots[i]!;
  return t.slots[t.slots.length - 1]!;
}

function matchSegments(segs: readonly Segment[], parts: string[]): string[] | undefined {
  // parts[0] is the empty string before the leading slash.
  if (parts.length !== segs.length + 1) return undefined;
  let out: string[] | undefined;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const v = parts[i + 1]!;
    if ("literal" in s) {
      if (s.literal !== v) return undefined;
      continue;
    }
    if (!v || (s.re && !s.re.test(v))) return undefined;
    (out ??= []).push(s.param, decodeParam(v));
  }
  return out ?? [];
}

/** Decoded segment, unless decoding fails or yields characters a header cannot carry. */
function decodeParam(v: string): string {
  if (v.indexOf("%") < 0) return v;
  try {
    const d = decodeURIComponent(v);
    return /^[\t\x20-\x7e\x80-\xff]*$/.test(d) ? d : v;
  } catch {
    return v;
  }
}

/** Host header → lower case without port ("[::1]:80" → "[::1]"). */
export function normalizeHost(host: string | undefined): string {
  if (!host) return "";
  const end = host.startsWith("[") ? host.indexOf("]") + 1 : host.indexOf(":");
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

function compileTrigger(t: HTTPTrigger, fns: Map<string, FnInfo>): Route | undefined {
  const s = t.spec;
  if (!s) return undefined;
  const namespace = nsOf(t.metadata);
  const target = compileTarget(s.functionref, namespace, fns);
  if (!target) return undefined;
  const list = s.methods.length ? s.methods : s.method ? [s.method] : [];
  const base = {
    trigger: keyOf(namespace, t.metadata?.name ?? ""),
    host: normalizeHost(s.host),
    methods: list.length ? new Set(list.map((m) => m.toUpperCase())) : undefined,
    keepPrefix: s.keepPrefix,
    target,
  };
  if (s.prefix) {
    const p = s.prefix.startsWith("/") ? s.prefix : `/${s.prefix}`;
    return { ...base, kind: "prefix", path: p.replace(/\/+$/, ""), segments: undefined };
  }
  const url = s.relativeurl.startsWith("/") ? s.relativeurl : `/${s.relativeurl}`;
  if (!url.includes("{")) return { ...base, kind: "exact", path: url, segments: undefined };
  return { ...base, kind: "param", path: url, segments: url.slice(1).split("/").map(segment) };
}

function segment(s: string): Segment {
  const m = /^\{([^}:]+)(?::(.+))?\}$/.exec(s);
  if (!m) return { literal: s };
  return { param: m[1]!, re: m[2] ? new RegExp(`^(?:${m[2]})$`) : undefined };
}

function compileTarget(ref: FunctionReference | undefined, namespace: string, fns: Map<string, FnInfo>): Target | undefined {
  const slot = (name: string): FnSlot => ({ name, namespace, fn: fns.get(keyOf(namespace, name)) });
  if (ref?.type === "function-weights") {
    const slots: FnSlot[] = [];
    const cumulative: number[] = [];
    let total = 0;
    for (const [name, w] of Object.entries(ref.functionweights)) {
      if (!(w > 0)) continue;
      total += w;
      slots.push(slot(name));
      cumulative.push(total);
    }
    return slots.length ? { slots, cumulative } : undefined;
  }
  if (!ref?.name) return undefined;
  return { slots: [slot(ref.name)], cumulative: [] };
}
