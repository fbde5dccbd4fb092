// A recording router front without controller or executor: a fixed route table, every function
// at one address, and a given shipper. The recording tests and bench/record-path run the real
// proxy and server through it.
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { create } from "@bufbuild/protobuf";
import { ReportUnreachableResponseSchema } from "@fizz/proto";
import { silentLogger } from "@fizz/common";
import { WarmCache } from "../cache/warm.js";
import type { RouteTable } from "../routes/table.js";
import { Proxy } from "../proxy.js";
import { Taps } from "../taps.js";
import { buildServer } from "../server.js";
import type { RecorderIndex } from "./selector.js";
import type { Shipper } from "./shipper.js";

export interface StaticFront {
  base: string;
  app: FastifyInstance;
  /** Stops the shipper (sending what it holds), then the server and the upstream pools. */
  close(): Promise<void>;
}

export async function staticFront(o: { table: RouteTable; address: () => string; recorders: RecorderIndex; shipper: Shipper }): Promise<StaticFront> {
  const proxy = new Proxy({
    table: () => o.table,
    cache: new WarmCache(async (fn) => ({ address: o.address(), functionResourceVersion: fn.resourceVersion }) as never),
    executor: { reportUnreachable: async () => create(ReportUnreachableResponseSchema) },
    taps: new Taps({ tapServices: async () => ({}) as never }, 60_000, silentLogger),
    maxBodyBytes: 1 << 20,
    retry: { attempts: 3, initialBackoffMs: 1 },
    log: silentLogger,
    recorders: () => o.recorders,
    shipper: o.shipper,
  });
  const app = buildServer({ proxy, maxBodyBytes: 1 << 20, ready: () => true, debug: () => ({}), stats: () => o.shipper.snapshot() });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    app,
    async close() {
      await o.shipper.stop();
      await app.close();
      await proxy.close();
    },
  };
}
