// /metrics of the executor (and of the controller and storage it runs with) after real work: a
// cold start, a reap and a crash; names, types and label sets as the dashboard reads them.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { labelSets, loadConfig, parseMetrics, sampleValue, type ParsedMetrics } from "@fizz/common";
import { downloadArchive, uploadArchive } from "@fizz/clients/storage";
import { configSchema } from "./config.js";
import { createEnv, deploy, instances, startPlatform, until, type Platform } from "./__fixtures__/platform.js";

let p: Platform;
const ref = (name: string) => ({ function: { name, namespace: "default" } });

async function scrape(address: string | undefined): Promise<ParsedMetrics> {
  expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  const res = await fetch(`http://${address}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return parseMetrics(await res.text());
}

beforeAll(async () => {
  p = await startPlatform();
  await createEnv(p.admin, "nodejs", 1);
}, 60_000);

afterAll(async () => {
  await p?.close();
}, 30_000);

describe("executor /metrics", () => {
  it("counts a cold start, a reap and a crash, and shows instances by state", async () => {
    await deploy(p.admin, "hot", "nodejs", "hot", { idletimeout: 1 });
    await deploy(p.admin, "boom", "nodejs", "boom");
    const hot = await p.exec.getServiceForFunction(ref("hot"));
    expect(hot.cold).toBe(true);
    await until("hot reaped", async () => (await instances(p.exec, (i) => i.id === hot.instanceId)).length === 0, 10_000);
    const boom = await p.exec.getServiceForFunction(ref("boom"));
    const pid = (await instances(p.exec, (i) => i.id === boom.instanceId))[0]!.pid;
    process.kill(pid, "SIGKILL");
    await until("boom gone", async () => (await instances(p.exec, (i) => i.id === boom.instanceId)).length === 0);
    await until("pool refilled", async () => (await instances(p.exec, (i) => i.state === "warm")).length === 1);

    const m = await scrape(p.executor.metricsAddress);
    expect(m.types.get("fizz_executor_cold_starts_total")).toBe("counter");
    expect(m.types.get("fizz_executor_specialization_duration_seconds")).toBe("histogram");
    expect(m.types.get("fizz_executor_instances")).toBe("gauge");
    expect(m.types.get("fizz_executor_reaps_total")).toBe("counter");
    expect(m.types.get("fizz_executor_crashes_total")).toBe("counter");
    expect(m.types.get("fizz_executor_grpc_requests_total")).toBe("counter");
    expect(m.types.get("fizz_executor_process_resident_memory_bytes")).toBe("gauge");

    expect(labelSets(m, "fizz_executor_cold_starts_total")).toEqual([["environment", "function", "namespace"]]);
    expect(sampleValue(m, "fizz_executor_cold_starts_total", { namespace: "default", function: "hot", environment: "nodejs" })).toBe(1);
    expect(sampleValue(m, "fizz_executor_cold_starts_total", { function: "boom" })).toBe(1);
    expect(labelSets(m, "fizz_executor_specialization_duration_seconds_count")).toEqual([["environment"]]);
    expect(sampleValue(m, "fizz_executor_specialization_duration_seconds_count", { environment: "nodejs" })).toBe(2);
    expect(sampleValue(m, "fizz_executor_specialization_duration_seconds_sum", { environment: "nodejs" })).toBeGreaterThan(0);
    expect(sampleValue(m, "fizz_executor_reaps_total", { environment: "nodejs" })).toBe(1);
    expect(sampleValue(m, "fizz_executor_crashes_total", { environment: "nodejs" })).toBe(1);
    expect(labelSets(m, "fizz_executor_instances")).toEqual([["environment", "state"]]);
    expect(sampleValue(m, "fizz_executor_instances", { environment: "nodejs", state: "warm" })).toBe(1);
    expect(sampleValue(m, "fizz_executor_grpc_requests_total", { method: "GetServiceForFunction", code: "OK" })).toBe(2);
  }, 60_000);

  it("counts failed calls by gRPC status name", async () => {
    await expect(p.exec.getServiceForFunction(ref("missing"))).rejects.toThrow();
    const m = await scrape(p.executor.metricsAddress);
    expect(sampleValue(m, "fizz_executor_grpc_requests_total", { method: "GetServiceForFunction", code: "NOT_FOUND" })).toBe(1);
    expect(labelSets(m, "fizz_executor_grpc_request_duration_seconds_count")).toEqual([["method"]]);
  });

  it("controller: calls by method and code, resources by kind, watchers", async () => {
    const m = await scrape(p.controller.metricsAddress);
    expect(m.types.get("fizz_controller_grpc_requests_total")).toBe("counter");
    expect(sampleValue(m, "fizz_controller_grpc_requests_total", { method: "Create", code: "OK" })).toBeGreaterThanOrEqual(5);
    expect(sampleValue(m, "fizz_controller_resources", { kind: "function" })).toBe(2);
    expect(sampleValue(m, "fizz_controller_resources", { kind: "environment" })).toBe(1);
    // The executor's and storage's informers watch.
    expect(sampleValue(m, "fizz_controller_watchers")).toBeGreaterThanOrEqual(1);
    expect(m.types.get("fizz_controller_process_cpu_seconds_total")).toBe("counter");
  });

  it("storage: uploads and downloads by code, bytes stored and served", async () => {
    const data = Buffer.from("x".repeat(1000));
    const stored = await uploadArchive(p.store, data);
    expect((await downloadArchive(p.store, stored.id)).length).toBe(1000);
    const m = await scrape(p.storage.metricsAddress);
    expect(sampleValue(m, "fizz_storage_grpc_requests_total", { method: "Upload", code: "OK" })).toBe(1);
    expect(sampleValue(m, "fizz_storage_grpc_requests_total", { method: "Download", code: "OK" })).toBe(1);
    expect(sampleValue(m, "fizz_storage_stored_bytes_total")).toBe(1000);
    expect(sampleValue(m, "fizz_storage_served_bytes_total")).toBe(1000);
  });

  it("FIZZ_METRICS=off starts no listener; a bad metrics address is a clear error", () => {
    const base = { FIZZ_EXECUTOR: "127.0.0.1:0", FIZZ_STATE_DIR: p.stateDir };
    expect(loadConfig(configSchema, { ...base, FIZZ_METRICS: "off" }, "executor").metricsAddress).toBeUndefined();
    expect(loadConfig(configSchema, base, "executor").metricsAddress).toBe("127.0.0.1:0");
    expect(loadConfig(configSchema, { ...base, FIZZ_EXECUTOR: "0.0.0.0:9091" }, "executor").metricsAddress).toBe("0.0.0.0:9191");
    expect(() => loadConfig(configSchema, { ...base, FIZZ_EXECUTOR_METRICS: "nope" }, "executor")).toThrow(/FIZZ_EXECUTOR_METRICS: must be host:port/);
  });
});
