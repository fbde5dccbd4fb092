// The executor contract on Kubernetes: pods of a FakeCluster (the real nodejs runtime and fetcher
// as local processes) over the stand-in API server, driven through @kubernetes/client-node.
import { executorContract } from "./__fixtures__/executor-contract.js";

executorContract({
  name: "kubernetes",
  kubernetes: true,
  crash: (p, inst) => p.kube!.cluster.crashContainer(p.kube!.namespace, inst.id, "runtime"),
  adoptsAfterRestart: true,
});
