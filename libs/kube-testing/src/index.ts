export { FakeKubeApi, kubeConfigOptions, type FakeKubeOptions, type KubeObject } from "./server.js";
export { FakeCluster, type FakeClusterOptions, type ImageCommand } from "./cluster.js";
export { parseSelector, selectorMatches, type LabelSelector } from "./selectors.js";
