export { FakeKubeApi, kubeConfigOptions, type FakeKubeOptions, type KubeObject } from "./server.js";
export { FakeCluster, type FakeClusterOptions, type ImageCommand } from "./cluster.js";
export { rfc3339Nano, type LogChunk, type PodLogFeed, type PodLogProvider } from "./pod-logs.js";
export { parseSelector, selectorMatches, type LabelSelector } from "./selectors.js";
