// StorageService through its real gRPC client, over whichever backend the setup configures:
// storage.test.ts runs it on the filesystem, storage-s3.test.ts on an S3 server.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes, randomUUID } from "node:crypto";
import { loadConfig } from "@fizz/common";
import { downloadArchive, sha256Hex, storageClient, storageIdOf, uploadArchive, type StorageClient } from "@fizz/clients";
import { configSchema } from "../config.js";
import { StorageService } from "../storage.js";
import { failure } from "./contract.js";

export const MAX = 4 * 1024 * 1024;

export interface ServiceSetup {
  /** Environment selecting and configuring the backend (FIZZ_STORAGE and the size limit are added). */
  env: Record<string, string>;
  /** Every name the backend's store holds, temp ones included. */
  names(): Promise<string[]>;
  /** Replaces an archive's content at rest, keeping what was recorded about it. */
  corrupt(id: string, content: Uint8Array): Promise<void>;
  cleanup(): Promise<void>;
}

export function storageServiceSuite(name: string, setup: () => Promise<ServiceSetup>): void {
  let env: ServiceSetup;
  let svc: StorageService;
  let client: StorageClient;

  async function startService() {
    const config = { ...env.env, FIZZ_STORAGE: "127.0.0.1:0", FIZZ_STORAGE_MAX_BYTES: String(MAX), FIZZ_STORAGE_GC_INTERVAL_MS: "0" };
    svc = new StorageService(loadConfig(configSchema, config, "storage"));
    await svc.start();
    client = storageClient(svc.address!);
  }

  async function stopService() {
    client.close();
    await svc.stop();
  }

  beforeAll(async () => {
    env = await setup();
    await startService();
  });

  afterAll(async () => {
    await stopService();
    await env.cleanup();
  });

  const names = () => env.names();

  describe(`StorageService over ${name}`, () => {
    it("round-trips small and multi-chunk archives, with a storage:// url", async () => {
      for (const data of [Buffer.from("hello"), randomBytes(1536 * 1024 + 7)]) {
        const info = await uploadArchive(client, data);
        expect(info.sha256).toBe(sha256Hex(data));
        expect(info.size).toBe(BigInt(data.length));
        expect(storageIdOf(info.url)).toBe(info.id);
        expect((await downloadArchive(client, info.id)).equals(data)).toBe(true);
        expect((await names()).some((n) => n.endsWith(info.id))).toBe(true);
      }
    });
  
    it("streams the info first, then chunks of at most 256 KiB", async () => {
      const data = randomBytes(1024 * 1024 + 1);
      const { id } = await uploadArchive(client, data);
      const parts: string[] = [];
      const sizes: number[] = [];
      for await (const c of client.download({ id })) {
        parts.push(c.part.case ?? "none");
        if (c.part.case === "data") sizes.push(c.part.value.length);
      }
      expect(parts[0]).toBe("info");
      expect(parts.slice(1).every((p) => p === "data")).toBe(true);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length);
      expect(sizes.length).toBeGreaterThanOrEqual(5);
    });
  
    it("refuses an upload whose content does not match the header's sha256, keeping nothing", async () => {
      const before = await names();
      const err = await failure(
        client.upload([
          { part: { case: "header", value: { sha256: sha256Hex(Buffer.from("expected")) } } },
          { part: { case: "data", value: Buffer.from("something else") } },
        ]),
      );
      expect(err.code).toBe("DATA_LOSS");
      expect(err.message).toContain("checksum mismatch");
      expect(await names()).toEqual(before);
    });
  
    it("refuses a malformed header sha256 and a wrong announced size", async () => {
      const before = await names();
      const bad = await failure(client.upload([{ part: { case: "header", value: { sha256: "xyz" } } }]));
      expect(bad.code).toBe("INVALID_ARGUMENT");
      const size = await failure(
        client.upload([
          { part: { case: "header", value: { size: 10n } } },
          { part: { case: "data", value: Buffer.from("short") } },
        ]),
      );
      expect(size.code).toBe("DATA_LOSS");
      expect(size.message).toContain("received 5 bytes, expected 10");
      expect(await names()).toEqual(before);
    });
  
    it("enforces the size limit while streaming, and from the announced size", async () => {
      const before = await names();
      const err = await failure(uploadArchive(client, randomBytes(MAX + 1)));
      expect(err.code).toBe("RESOURCE_EXHAUSTED");
      expect(err.message).toContain(`archive exceeds the ${MAX}-byte limit`);
      // no header at all: only the streamed byte count can stop it
      const chunk = new Uint8Array(1024 * 1024);
      const headless = await failure(client.upload(Array.from({ length: 5 }, () => ({ part: { case: "data" as const, value: chunk } }))));
      expect(headless.code).toBe("RESOURCE_EXHAUSTED");
      const announced = await failure(client.upload([{ part: { case: "header", value: { size: BigInt(MAX + 1) } } }]));
      expect(announced.code).toBe("RESOURCE_EXHAUSTED");
      expect(await names()).toEqual(before);
    });
  
    it("detects content corrupted on disk when downloading", async () => {
      const data = randomBytes(600 * 1024);
      const { id } = await uploadArchive(client, data);
      const flipped = Buffer.from(data);
      flipped[300 * 1024] = flipped[300 * 1024]! ^ 0xff;
      await env.corrupt(id, flipped);
      // the server notices (not only the client's own check)
      const raw = await failure(
        (async () => {
          for await (const _ of client.download({ id }));
        })(),
      );
      expect(raw.code).toBe("DATA_LOSS");
      expect(raw.message).toContain(`archive ${id} is corrupt`);
      expect((await failure(downloadArchive(client, id))).code).toBe("DATA_LOSS");
  
      await env.corrupt(id, data.subarray(0, 10));
      const short = await failure(client.stat({ id }));
      expect(short.code).toBe("DATA_LOSS");
      expect(short.message).toContain(`archive ${id} is corrupt: 10 bytes`);
    });
  
    it("answers NOT_FOUND for unknown ids and INVALID_ARGUMENT for malformed ones", async () => {
      const unknown = randomUUID();
      for (const call of [client.stat({ id: unknown }), client.delete({ id: unknown }), downloadArchive(client, unknown)]) {
        const err = await failure(call);
        expect(err.code).toBe("NOT_FOUND");
        expect(err.message).toBe(`archive ${unknown} not found`);
      }
      for (const id of ["../x", "", "../../etc/passwd", `${unknown}.json`, unknown.toUpperCase()]) {
        for (const call of [client.stat({ id }), client.delete({ id }), downloadArchive(client, id)]) {
          const err = await failure(call);
          expect(err.code).toBe("INVALID_ARGUMENT");
          expect(err.message).toContain("invalid archive id");
        }
      }
    });
  
    it("stats and deletes", async () => {
      const data = Buffer.from("to be deleted");
      const { id } = await uploadArchive(client, data);
      const st = await client.stat({ id });
      expect(st).toMatchObject({ id, sha256: sha256Hex(data), size: BigInt(data.length), url: `storage://${id}` });
      await client.delete({ id });
      expect((await failure(client.stat({ id }))).code).toBe("NOT_FOUND");
      expect((await names()).filter((n) => n.includes(id))).toEqual([]);
    });
  
    it("keeps archives across a restart", async () => {
      const data = randomBytes(300 * 1024);
      const { id } = await uploadArchive(client, data);
      await stopService();
      await startService();
      expect((await client.stat({ id })).sha256).toBe(sha256Hex(data));
      expect((await downloadArchive(client, id)).equals(data)).toBe(true);
    });
  
    it("drops a partial upload when the client cancels it", async () => {
      const before = await names();
      const ac = new AbortController();
      let sent = 0;
      async function* stalled() {
        yield { part: { case: "data" as const, value: new Uint8Array(64 * 1024) } };
        sent++;
        await new Promise((r) => setTimeout(r, 200)); // the server is mid-upload by now
        ac.abort();
        await new Promise(() => {}); // and never sends the rest
      }
      const err = await failure(client.upload(stalled(), { signal: ac.signal }));
      expect(err.code).toBe("CANCELLED");
      expect(sent).toBe(1);
      // The server finishes on its own time (it may even have stored it before the cancel
      // arrived, then taken it back): wait until the store has looked like before for 500 ms.
      const end = Date.now() + 5000;
      for (let same = 0; same < 10 && Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
        same = JSON.stringify(await names()) === JSON.stringify(before) ? same + 1 : 0;
      expect(await names()).toEqual(before);
    });
  
    it("an empty upload is a valid, empty archive", async () => {
      const info = await uploadArchive(client, new Uint8Array(0));
      expect(info.size).toBe(0n);
      expect((await downloadArchive(client, info.id)).length).toBe(0);
    });
  });
}
