// Small helpers over the admin API shared by the commands: typed get/list per kind, and names.
import { randomBytes } from "node:crypto";
import {
  Kind,
  type CanaryConfig,
  type Environment,
  type Function as FnResource,
  type HTTPTrigger,
  type MessageQueueTrigger,
  type Package,
  type Resource,
  type TimeTrigger,
} from "@fizz/proto";
import type { AdminClient } from "@fizz/clients";
import { FizzError } from "@fizz/common/errors";
import { codeOf } from "./errors.js";

export interface ByKind {
  environment: Environment;
  package: Package;
  function: FnResource;
  httpTrigger: HTTPTrigger;
  timeTrigger: TimeTrigger;
  messageQueueTrigger: MessageQueueTrigger;
  canaryConfig: CanaryConfig;
}
export type Case = keyof ByKind;

const KIND: Record<Case, Kind> = {
  environment: Kind.ENVIRONMENT,
  package: Kind.PACKAGE,
  function: Kind.FUNCTION,
  httpTrigger: Kind.HTTP_TRIGGER,
  timeTrigger: Kind.TIME_TRIGGER,
  messageQueueTrigger: Kind.MESSAGE_QUEUE_TRIGGER,
  canaryConfig: Kind.CANARY_CONFIG,
};

/** Label (value: the function's name) on packages `fn create --code` made, so `fn delete` may remove them. */
export const CREATED_FOR_LABEL = "fizz.dev/created-for-function";
export const CREATED_BY_ANNOTATION = "fizz.dev/created-by";

export function unwrap<C extends Case>(r: Resource, c: C): ByKind[C] {
  if (r.kind.case !== c) throw new FizzError("INTERNAL", `expected a ${c}, the admin API returned a ${r.kind.case ?? "resource with no kind"}`);
  return r.kind.value as ByKind[C];
}

export async function getResource<C extends Case>(api: AdminClient, c: C, namespace: string, name: string): Promise<ByKind[C]> {
  return unwrap(await api.get({ kind: KIND[c], namespace, name }), c);
}

/** Like getResource, but undefined when it does not exist. */
export async function findResource<C extends Case>(api: AdminClient, c: C, namespace: string, name: string): Promise<ByKind[C] | undefined> {
  try {
    return await getResource(api, c, namespace, name);
  } catch (err) {
    if (codeOf(err) === "NOT_FOUND") return undefined;
    throw err;
  }
}

export async function listResources<C extends Case>(api: AdminClient, c: C, namespace: string): Promise<ByKind[C][]> {
  const res = await api.list({ kind: KIND[c], namespace });
  return res.items.map((r) => unwrap(r, c));
}

export async function deleteResource(api: AdminClient, c: Case, namespace: string, name: string): Promise<void> {
  await api.delete({ kind: KIND[c], namespace, name });
}

/** Lower-case letters and digits, for generated names. */
export function randomSuffix(n = 6): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join("");
}

/** `<base>-<suffix>`, shortening base so the result stays a valid 63-character name. */
export function derivedName(base: string, suffix = randomSuffix()): string {
  const room = 63 - suffix.length - 1;
  return `${base.slice(0, room).replace(/-+$/, "")}-${suffix}`;
}
