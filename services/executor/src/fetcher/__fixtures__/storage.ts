// The executor's test platform (real controller + storage) for the fetcher's tests, and packages
// uploaded to its storage.
import { create, toJson, type JsonValue } from "@bufbuild/protobuf";
import { sha256Hex, storageUrl, uploadArchive } from "@fizz/clients";
import { PackageSchema } from "@fizz/proto";
import { startPlatform } from "../../__fixtures__/platform.js";

export interface StorageFixture {
  stateDir: string;
  /** host:port of the storage service. */
  address: string;
  /** Uploads data and returns a deployment Archive pointing at it (storage://, with its sha256). */
  uploaded(data: Uint8Array): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startStorage(): Promise<StorageFixture> {
  const p = await startPlatform();
  return {
    stateDir: p.stateDir,
    address: p.storage.address!,
    async uploaded(data) {
      const info = await uploadArchive(p.store, data);
      return { type: "url", url: storageUrl(info.id), checksum: { type: "sha256", sum: sha256Hex(data) } };
    },
    close: () => p.close(),
  };
}

let version = 0;

/** A Package resource as proto JSON, as the /specialize body carries it (a fresh version each time). */
export const packageJson = (deployment: Record<string, unknown>, name = "hello-pkg"): JsonValue =>
  toJson(PackageSchema, create(PackageSchema, { metadata: { name, namespace: "default", resourceVersion: String(++version) }, spec: { environment: { name: "nodejs" }, deployment } as never }));
