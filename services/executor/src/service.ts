// ExecutorService over gRPC: a thin mapping onto the pool manager, newdeploy and the runtime log source.
import { ExecutorService } from "@fizz/proto";
import { keyOf, type Informer } from "@fizz/clients";
import { bind, type ServiceBinding } from "@fizz/rpc";
import type { FunctionLogSource } from "./logs/source.js";
import { getFunction } from "./poolmgr/lookup.js";
import type { PoolManager } from "./poolmgr/poolmgr.js";
import { isNewDeploy, type NewDeployManager } from "./newdeploy/manager.js";

/**
 * `newdeploy`: given on the Kubernetes backend only; otherwise poolmgr serves newdeploy functions too.
 * `logs`: where the backend's runtime output is (the LogStore for processes, pod logs on Kubernetes).
 */
export function executorBinding(pm: PoolManager, logs: FunctionLogSource, informer: Informer, newdeploy?: NewDeployManager): ServiceBinding {
  return bind(ExecutorService, {
    getServiceForFunction: (req) =>
      newdeploy && isNewDeploy(getFunction(informer, req.function))
        ? newdeploy.getServiceForFunction(req.function)
        : pm.getServiceForFunction(req.function, req.busyAddresses),
    tapServices: async (req) => {
      pm.tap(req.addresses);
      newdeploy?.tap(req.addresses);
      return {};
    },
    reportUnreachable: async (req) => {
      await pm.reportUnreachable(req.address);
      return {};
    },
    listInstances: async () => ({ instances: [...pm.list(), ...(newdeploy?.list() ?? [])] }),
    functionLogs: async function* (req, ctx) {
      const fn = getFunction(informer, req.function);
      const key = keyOf(fn.metadata?.namespace, fn.metadata?.name ?? "");
      const filter = { sinceMs: Number(req.sinceMs), tail: req.tail };
      const lines = req.follow ? logs.follow(key, filter, ctx.signal) : await logs.read(key, filter);
      for await (const l of lines) yield { timeMs: BigInt(l.timeMs), instanceId: l.instanceId, stream: l.stream, text: l.text };
    },
  });
}
