import type { Kind, Resource } from "@fizz/proto";

/**
 * A change made to a backend by someone else (kubectl on a CR), reported to the controller, which
 * validates it and then adopts it (put with `kubeVersion`), rejects it (reject) or, for a
 * deletion, forgets the resource (forget). Until then the store keeps serving what it had.
 */
export interface ExternalChange {
  type: "ADDED" | "MODIFIED" | "DELETED";
  kind: Kind;
  namespace: string;
  name: string;
  /** The new content; for DELETED the last state served. Absent when the object cannot be read. */
  resource?: Resource;
  /** Why the object cannot be read as a resource (then `resource` is absent). */
  unreadable?: string;
  /** The backend's version of the changed object (optimistic concurrency for adopt/reject). */
  kubeVersion: string;
  /** The rejection reason already recorded on the object ("" if none). */
  rejected: string;
}

export type ExternalHandler = (change: ExternalChange) => Promise<void>;

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
  /**
   * Creates or replaces; the resource carries its new metadata.resourceVersion. `kubeVersion`:
   * adopting an external change, the backend version it replaces (a newer one fails ABORTED).
   */
  put(resource: Resource, kubeVersion?: string): Promise<void>;
  /** Removes a resource; `resourceVersion` is the version issued for the deletion. */
  delete(kind: Kind, namespace: string, name: string, resourceVersion: number): Promise<void>;
  /** Registers the handler of external changes (stores that have them); changes wait until then. */
  onExternalChange?(handler: ExternalHandler): void;
  /** Records on the object why it is not served; ABORTED when it changed again since. */
  reject?(change: ExternalChange, reason: string): Promise<void>;
  /** Drops a resource deleted externally; `resourceVersion` is the version issued for the deletion. */
  forget?(kind: Kind, namespace: string, name: string, resourceVersion: number): Promise<void>;
  /** Releases background work (watches); called when the controller stops. */
  close?(): void;
}
