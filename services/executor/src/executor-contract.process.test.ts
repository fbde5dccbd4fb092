// The executor contract with local runtime processes.
import { executorContract } from "./__fixtures__/executor-contract.js";

executorContract({
  name: "process",
  crash: (_p, inst) => process.kill(inst.pid, "SIGKILL"),
  adoptsAfterRestart: false,
});
