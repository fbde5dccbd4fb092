import { KubeConfig } from "@kubernetes/client-node";

/**
 * The standard places (KUBECONFIG, ~/.kube/config, in-cluster service account), with the
 * server URL replaced when given (FIZZ_KUBE_SERVER: tests and port-forwarded API servers).
 */
export function kubeConfig(server?: string): KubeConfig {
  const kc = new KubeConfig();
  if (!server) {
    kc.loadFromDefault();
    return kc;
  }
  kc.loadFromOptions({
    clusters: [{ name: "fizz", server, skipTLSVerify: true }],
    users: [{ name: "fizz" }],
    contexts: [{ name: "fizz", cluster: "fizz", user: "fizz" }],
    currentContext: "fizz",
  });
  return kc;
}
