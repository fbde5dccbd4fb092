import { describe, expect, it } from "@jest/globals";
import { loadConfig } from "@fizz/common";
import { configSchema, runtimeNameOf } from "./config.js";

describe("executor config", () => {
  it("defaults addresses and resolves the built-in nodejs runtime from the repository", () => {
    const c = loadConfig(configSchema, { FIZZ_STATE_DIR: "/tmp/x" }, "executor");
    expect(c).toMatchObject({ address: "127.0.0.1:9091", admin: "127.0.0.1:9090", storage: "127.0.0.1:9092", stateDir: "/tmp/x" });
    expect(c.runtimes.nodejs?.script).toMatch(/runtimes\/nodejs\/dist\/main\.js$/);
    expect(c.runtimes.nodejs?.execPath).toBe(process.execPath);
  });

  it("accepts extra runtimes as JSON and port 0", () => {
    const c = loadConfig(
      configSchema,
      { FIZZ_EXECUTOR: "127.0.0.1:0", FIZZ_RUNTIMES: JSON.stringify({ python: { execPath: "/usr/bin/python3", script: "/opt/py/main.py" }, exec: "/opt/exec.js" }) },
      "executor",
    );
    expect(c.address).toBe("127.0.0.1:0");
    expect(c.runtimes.python).toEqual({ execPath: "/usr/bin/python3", script: "/opt/py/main.py", args: [] });
    expect(c.runtimes.exec?.script).toBe("/opt/exec.js");
  });

  it("fails with one message naming every bad setting", () => {
    expect(() => loadConfig(configSchema, { FIZZ_EXECUTOR: "nope", FIZZ_RUNTIMES: "{", FIZZ_REAP_INTERVAL_MS: "0" }, "executor")).toThrow(
      /FIZZ_EXECUTOR[\s\S]*FIZZ_RUNTIMES[\s\S]*FIZZ_REAP_INTERVAL_MS/,
    );
  });

  it("bounds each function's runtime log, 10 MiB unless set, and refuses budgets too small to rotate", () => {
    expect(loadConfig(configSchema, {}, "executor").logMaxBytes).toBe(10 * 1024 * 1024);
    expect(loadConfig(configSchema, { FIZZ_FUNCTION_LOG_MAX_BYTES: "1048576" }, "executor").logMaxBytes).toBe(1024 * 1024);
    expect(() => loadConfig(configSchema, { FIZZ_FUNCTION_LOG_MAX_BYTES: "1000" }, "executor")).toThrow(/FIZZ_FUNCTION_LOG_MAX_BYTES/);
  });

  it("maps Fission image names to local runtimes", () => {
    const rt = loadConfig(configSchema, {}, "executor").runtimes;
    for (const img of ["nodejs", "fission/node-env", "fission/node-env-22:1.0", "ghcr.io/fission/node-env-20", "node", "node:20-alpine", "node-18"])
      expect([img, runtimeNameOf(img, rt)]).toEqual([img, "nodejs"]);
    expect(runtimeNameOf("ghcr.io/fission/python-env", rt)).toBe("python");
    expect(runtimeNameOf("quay.io/acme/ruby", rt)).toBeUndefined();
    expect(runtimeNameOf("nodered", rt)).toBeUndefined();
  });

  it("runs local processes unless FIZZ_EXECUTOR_BACKEND=kubernetes, which reads the pod settings", () => {
    expect(loadConfig(configSchema, {}, "executor").kube).toBeUndefined();
    const c = loadConfig(configSchema, { FIZZ_EXECUTOR_BACKEND: "kubernetes", FIZZ_RUNTIME_IMAGE_PYTHON: "reg.local/py:1", FIZZ_KUBE_SERVER: "http://127.0.0.1:6443" }, "executor");
    expect(c.kube).toEqual({
      namespace: "fizz-function",
      server: "http://127.0.0.1:6443",
      runtimeImages: { nodejs: "fizz/runtime-nodejs:dev", python: "reg.local/py:1", exec: "fizz/runtime-exec:dev" },
      fetcherImage: "fizz/fetcher:dev",
    });
  });

  it("refuses an unknown backend and a namespace Kubernetes would not accept", () => {
    expect(() => loadConfig(configSchema, { FIZZ_EXECUTOR_BACKEND: "docker" }, "executor")).toThrow(/FIZZ_EXECUTOR_BACKEND[\s\S]*process[\s\S]*kubernetes/);
    expect(() => loadConfig(configSchema, { FIZZ_EXECUTOR_BACKEND: "kubernetes", FIZZ_FUNCTIONS_NAMESPACE: "Fizz_Functions" }, "executor")).toThrow(
      /FIZZ_FUNCTIONS_NAMESPACE[\s\S]*must be a Kubernetes namespace name/,
    );
  });
});
