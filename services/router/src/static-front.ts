// A router front without controller or executor: the real proxy and server over a fixed route
// table, the executor replaced by a function handing out addresses. The router's own tests and
// bench/record-path run through it.
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { create } from "@bufbuild/protobuf";
import { ReportUnreachableResponseSchema } from "@fizz/proto";
import { silentLogger } from "@fizz/common";
import { WarmCache, type GetService } from "./cache/warm.js";
import type { RouteTable } from "./routes/table.js";
import { Proxy, type ProxyOptions } from "./proxy.js";
import { Taps } from "./taps.js";
import { buildServer } from "./server.js";
import type { RecorderIndex } from "./recording/selector.js";
import type { Shipper } from "./recording/shipper.js";

export interface StaticFrontOptions {
  table: RouteTable;
  /** The executor's answer for each cache miss; default: every function at `address()`. */
  getService?: GetService;
  address?: () => string;
  /** Called with each address the proxy reports unreachable. */
  onUnreachable?: (address: string) => void;
  maxBodyBytes?: number;
  recorders?: RecorderIndex;
  shipper?: Shipper;
}

export interface StaticFront {
  base: string;
  app: FastifyInstance;
  /** Stops the shipper (sending what it holds), then the server and the upstream pools. */
  close(): Promise<void>;
}

export async function staticFront(o: StaticFrontOptions): Promise<StaticFront> {
  const getService: GetService = o.getService ?? (async (fn) => ({ address: o.address!(), functionResourceVersion: fn.resourceVersion }));
  const maxBodyBytes = o.maxBodyBytes ?? 1 << 20;
  const options: ProxyOptions = {
    table: () => o.table,
    cache: new WarmCache(getService),
    executor: {
      reportUnreachable: async (req) => {
        o.onUnreachable?.(req.address ?? "");
        return create(ReportUnreachableResponseSchema);
      },
    },
    taps: new Taps({ tapServices: async () => ({}) as never }, 60_000, silentLogger),
    maxBodyBytes,
    retry: { attempts: 3, initialBackoffMs: 1 },
    log: silentLogger,
    ...(o.recorders && o.shipper ? { recorders: () => o.recorders!, shipper: o.shipper } : {}),
  };
  const proxy = new Proxy(options);
  const shipper = o.shipper;
  const app = buildServer({ proxy, maxBodyBytes, ready: () => true, debug: () => ({}), ...(shipper ? { stats: () => shipper.snapshot() } : {}) });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    app,
    async close() {
      await shipper?.stop();
      await app.close();
      await proxy.close();
    },
  };
}
