// ExecutorService over gRPC: a thin mapping onto the pool manager.
import { ExecutorService } from "@fizz/proto";
import { bind, type ServiceBinding } from "@fizz/rpc";
import type { PoolManager } from "./poolmgr/poolmgr.js";

export function executorBinding(pm: PoolManager): ServiceBinding {
  return bind(ExecutorService, {
    getServiceForFunction: (req) => pm.getServiceForFunction(req.function, req.busyAddresses),
    tapServices: async (req) => {
      pm.tap(req.addresses);
      return {};
    },
    reportUnreachable: async (req) => {
      await pm.reportUnreachable(req.address);
      return {};
    },
    listInstances: async () => ({ instances: pm.list() }),
  });
}
