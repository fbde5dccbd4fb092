import { describe, expect, it } from "@jest/globals";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@fizz/common";
import { configSchema } from "./config.js";

const load = (env: Record<string, string>) => loadConfig(configSchema, env, "controller");

describe("config", () => {
  it("defaults to the shared admin address, ~/.fizz and a 1000-event history", () => {
    expect(load({})).toEqual({ address: "127.0.0.1:9090", stateDir: join(homedir(), ".fizz"), historySize: 1000, metricsAddress: "127.0.0.1:9190" });
  });

  it("reads FIZZ_ADMIN (port 0 allowed, scheme stripped), FIZZ_STATE_DIR and FIZZ_WATCH_HISTORY", () => {
    expect(load({ FIZZ_ADMIN: "grpc://0.0.0.0:0", FIZZ_STATE_DIR: "/tmp/fizz-x", FIZZ_WATCH_HISTORY: "50" })).toEqual({
      address: "0.0.0.0:0",
      stateDir: "/tmp/fizz-x",
      historySize: 50,
      // The metrics listener follows the gRPC address: port 0 stays 0.
      metricsAddress: "0.0.0.0:0",
    });
  });

  it("names every bad setting", () => {
    expect(() => load({ FIZZ_ADMIN: "nohost", FIZZ_WATCH_HISTORY: "0" })).toThrow(
      /invalid controller configuration:\n {2}FIZZ_ADMIN: must be host:port.*\n {2}FIZZ_WATCH_HISTORY: /s,
    );
  });

  it("selects the Kubernetes store with FIZZ_STORE=kubernetes, its namespace and an optional server URL", () => {
    expect(load({ FIZZ_STORE: "kubernetes" }).kube).toEqual({ namespace: "fizz", server: undefined });
    expect(load({ FIZZ_STORE: "kubernetes", FIZZ_KUBE_NAMESPACE: "ops", FIZZ_KUBE_SERVER: "http://127.0.0.1:6443" }).kube).toEqual({ namespace: "ops", server: "http://127.0.0.1:6443" });
    expect(load({ FIZZ_STORE: "file" }).kube).toBeUndefined();
    expect(() => load({ FIZZ_STORE: "etcd", FIZZ_KUBE_SERVER: "not a url" })).toThrow(/FIZZ_STORE: .*\n {2}FIZZ_KUBE_SERVER: /s);
  });
});
