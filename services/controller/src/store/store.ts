import type { Kind, Resource } from "@fizz/proto";

/** Everything a store holds when the controller starts. */
export interface LoadedState {
  resources: Resource[];
  /** The highest resource version ever issued (0 for an empty store). */
  resourceVersion: number;
}

/**
 * Where resources live. The controller is the only writer and serializes its writes, so a
 * store needs no locking of its own. Implementations: the embedded file store (local default);
 * the Kubernetes CRD store (kube-store.ts).
 */
export interface ResourceStore {
  /** Reads everything; called once before serving. Fails loudly on unreadable state. */
  load(): Promise<LoadedState>;
  get(kind: Kind, namespace: string, name: string): Promise<Resource | undefined>;
  /** Every resource of a kind, in one namespace or (namespace undefined) all of them. */
  list(kind: Kind, namespace?: string): Promise<Resource[]>;
  /** Creates or replaces; the resource carries its new metadata.resourceVersion. */
  put(resource: Resource): Promise<void>;
  /** Removes a resource; `resourceVersion` is the version issued for the deletion. */
  delete(kind: Kind, namespace: string, name: string, resourceVersion: number): Promise<void>;
  /** Releases background work (watches); called when the controller stops. */
  close?(): void;
}
