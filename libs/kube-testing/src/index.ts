export { FakeKubeApi, kubeConfigOptions, type FakeKubeOptions, type KubeObject } from "./server.js";
