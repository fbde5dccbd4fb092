import { describe, expect, it } from "@jest/globals";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSchema, FunctionSchema, HTTPTriggerSchema } from "@fizz/proto";
import { parse } from "yaml";
import { age, formatDocs, formatTable, toDoc } from "./output.js";
import { ENV_TABLE } from "./commands/env/table.js";
import { ROUTE_TABLE, functionsOf } from "./commands/route/table.js";

describe("formatTable", () => {
  it("pads columns to the widest cell and trims the last one", () => {
    const out = formatTable(["NAME", "IMAGE"], [["nodejs", "nodejs"], ["py", "fission/python-env"]]);
    expect(out).toBe("NAME     IMAGE\nnodejs   nodejs\npy       fission/python-env\n");
  });

  it("prints only the headers for an empty list", () => {
    expect(formatTable(["NAME", "ENV"], [])).toBe("NAME   ENV\n");
  });
});

describe("age", () => {
  const now = Date.parse("2025-01-10T12:00:00Z");
  it.each([
    ["2025-01-10T11:59:15Z", "45s"],
    ["2025-01-10T11:48:00Z", "12m"],
    ["2025-01-10T09:00:00Z", "3h"],
    ["2025-01-05T12:00:00Z", "5d"],
    ["", "-"],
    ["not a date", "-"],
  ])("%s -> %s", (ts, want) => expect(age(ts, now)).toBe(want));
});

describe("documents", () => {
  const fn = create(FunctionSchema, {
    metadata: { name: "greet", namespace: "default", resourceVersion: "7" },
    spec: {
      environment: { name: "nodejs", namespace: "default" },
      package: { packageref: { name: "greet-abc123", namespace: "default" }, functionName: "greet" },
      invokeStrategy: { strategyType: "execution", executionStrategy: { executorType: "poolmgr" } },
      functionTimeout: 60,
      requestsPerPod: 1,
    },
  });

  it("wraps protobuf JSON with apiVersion and kind, using Fission's field names", () => {
    const doc = toDoc(fn) as Record<string, any>;
    expect(doc.apiVersion).toBe("fizz.dev/v1");
    expect(doc.kind).toBe("Function");
    expect(doc.metadata.resourceVersion).toBe("7");
    expect(doc.spec.functionTimeout).toBe(60);
    expect(doc.spec.requestsPerPod).toBe(1);
    expect(doc.spec.package.packageref.name).toBe("greet-abc123");
    expect(doc.spec.package.functionName).toBe("greet");
    expect(doc.spec.invokeStrategy.executionStrategy.executorType).toBe("poolmgr");
  });

  it("formats JSON and YAML of the same document", () => {
    const json = JSON.parse(formatDocs(fn, "json"));
    const yaml = parse(formatDocs(fn, "yaml"));
    expect(yaml).toEqual(json);
    expect(formatDocs(fn, "yaml")).toMatch(/^apiVersion: fizz.dev\/v1\nkind: Function\n/);
  });

  it("formats a list as an array", () => {
    const env = create(EnvironmentSchema, { metadata: { name: "nodejs" }, spec: { runtime: { image: "nodejs" }, poolsize: 3 } });
    const list = JSON.parse(formatDocs([env, env], "json"));
    expect(list).toHaveLength(2);
    expect(list[0].spec).toEqual({ runtime: { image: "nodejs" }, poolsize: 3 });
  });
});

describe("table rows", () => {
  it("shows an environment's image and pool size, defaulting the pool to 3", () => {
    const env = create(EnvironmentSchema, { metadata: { name: "py" }, spec: { runtime: { image: "python" } } });
    expect(ENV_TABLE.row(env).slice(0, 4)).toEqual(["py", "python", "3", "-"]);
  });

  it("shows a route's methods, path and weighted functions", () => {
    const t = create(HTTPTriggerSchema, {
      metadata: { name: "canary" },
      spec: { prefix: "/api", methods: [], functionref: { type: "function-weights", functionweights: { b: 20, a: 80 } } },
    });
    expect(functionsOf(t)).toBe("a:80,b:20");
    expect(ROUTE_TABLE.row(t).slice(0, 6)).toEqual(["canary", "ALL", "-", "/api", "*", "a:80,b:20"]);
  });
});
