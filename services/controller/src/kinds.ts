// Controller-side helpers over resources; the kinds themselves live with the generated types.
import type { Resource } from "@fizz/proto";
import { metaOf, type KindInfo } from "@fizz/proto";
import { DEFAULT_NAMESPACE } from "@fizz/common";

export { KINDS, kindInfo, kindByName, kindOf, metaOf, type KindInfo, type ResourceCase } from "@fizz/proto";

export const nsOr = (ns: string | undefined) => ns || DEFAULT_NAMESPACE;

/** `function "greet"` style label for messages. */
export const label = (k: KindInfo, name: string) => `${k.name} "${name}"`;

export function versionOf(r: Resource): number {
  return Number(metaOf(r).resourceVersion || 0);
}
