// What is on the platform now: every resource of every spec kind (all namespaces), read with one
// List per kind, and which of them belong to a deployment (its uid label, or Fission's uid
// annotation on resources Fission's tooling labelled).
import type { AdminClient } from "@fizz/clients";
import { valueOf, type KindValue } from "@fizz/clients/resources";
import { FISSION_UID_ANNOTATION, SPEC_KINDS, UID_LABEL, kindOfValue, keyOf, nameOf, namespaceOf } from "./format.js";

export interface PlatformState {
  /** keyOf(kind, namespace, name) → resource. */
  all: Map<string, KindValue>;
}

export const isOwned = (v: KindValue, uid: string | undefined): boolean =>
  !!uid && (v.metadata?.labels[UID_LABEL] === uid || v.metadata?.annotations[FISSION_UID_ANNOTATION] === uid);

export const keyOfValue = (v: KindValue) => keyOf(kindOfValue(v), namespaceOf(v), nameOf(v));

export async function readPlatform(api: AdminClient, timeoutMs = 10_000): Promise<PlatformState> {
  const lists = await Promise.all(SPEC_KINDS.map((k) => api.list({ kind: k.info.kind, namespace: "" }, { timeoutMs })));
  const all = new Map<string, KindValue>();
  for (const l of lists)
    for (const r of l.items) {
      const v = valueOf(r);
      all.set(keyOfValue(v), v);
    }
  return { all };
}

/** Resources of deployment `uid`, in apply order. */
export function ownedBy(state: PlatformState, uid: string): KindValue[] {
  const order = (v: KindValue) => SPEC_KINDS.indexOf(kindOfValue(v));
  return [...state.all.values()].filter((v) => isOwned(v, uid)).sort((a, b) => order(a) - order(b) || nameOf(a).localeCompare(nameOf(b)));
}
