import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, createFileRegistry, toJson, type DescMessage } from "@bufbuild/protobuf";
import { AnySchema, FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { parse } from "yaml";
import type { Schema } from "./crd-schema.js";
import { messageSchema } from "./crd-schema.js";
import { crdValidator } from "./crd-validate.js";
import { crdFor, kindMessages } from "./crds.js";
import { CRD_DIR, crdDrift, writeCrds } from "./gen-crds.js";
import { fullyPopulated } from "./populate.js";

const openapi = (crd: Record<string, unknown>) =>
  (crd["spec"] as { versions: Array<{ schema: { openAPIV3Schema: Schema } }> }).versions[0]!.schema.openAPIV3Schema;

/** Kubernetes' structural-schema rules that apply to what the generator emits. */
function structuralProblems(s: Schema, path: string): string[] {
  const out: string[] = [];
  if (!s.type && !s["x-kubernetes-int-or-string"] && !s["x-kubernetes-preserve-unknown-fields"]) out.push(`${path}: no type`);
  if (s.properties && s.additionalProperties) out.push(`${path}: properties and additionalProperties together`);
  if (s.type === "array" && !s.items) out.push(`${path}: array without items`);
  if (s.anyOf && !s["x-kubernetes-int-or-string"]) out.push(`${path}: anyOf outside int-or-string`);
  for (const [k, p] of Object.entries(s.properties ?? {})) out.push(...structuralProblems(p, `${path}.${k}`));
  if (s.items) out.push(...structuralProblems(s.items, `${path}[]`));
  if (s.additionalProperties) out.push(...structuralProblems(s.additionalProperties, `${path}{}`));
  return out;
}

describe("generated CRDs", () => {
  const kinds = kindMessages();
  const crds = kinds.map((k) => ({ k, crd: crdFor(k) }));

  it("are committed as generated (pnpm gen:crds)", () => {
    expect(crdDrift()).toEqual([]);
  });

  it("drift is reported for a stale, missing or extra file", () => {
    const dir = mkdtempSync(join(tmpdir(), "fizz-crds-"));
    try {
      writeCrds(dir);
      expect(crdDrift(dir)).toEqual([]);
      writeFileSync(join(dir, "functions.fizz.dev.yaml"), "stale: true\n");
      rmSync(join(dir, "packages.fizz.dev.yaml"));
      writeFileSync(join(dir, "gone.fizz.dev.yaml"), "{}\n");
      expect(crdDrift(dir)).toEqual(["functions.fizz.dev.yaml", "gone.fizz.dev.yaml", "packages.fizz.dev.yaml"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cover every kind: fizz.dev/v1, namespaced, plural <kind>s", () => {
    expect(kinds.map((k) => k.kind)).toEqual([
      "Environment", "Package", "Function", "HTTPTrigger", "Recorder", "TimeTrigger", "MessageQueueTrigger", "CanaryConfig",
    ]);
    for (const { k, crd } of crds) {
      const file = parse(readFileSync(join(CRD_DIR, `${k.plural}.fizz.dev.yaml`), "utf8")) as Record<string, unknown>;
      expect(file).toEqual(crd);
      expect(crd).toMatchObject({
        metadata: { name: `${k.plural}.fizz.dev` },
        spec: { group: "fizz.dev", scope: "Namespaced", names: { kind: k.kind, plural: k.plural }, versions: [{ name: "v1", storage: true }] },
      });
    }
  });

  it("are structural schemas with proto3 JSON field names", () => {
    for (const { k, crd } of crds) expect([k.kind, structuralProblems(openapi(crd), k.kind)]).toEqual([k.kind, []]);
    const fn = openapi(crds.find((c) => c.k.kind === "Function")!.crd);
    expect(Object.keys(fn.properties!["spec"]!.properties!)).toContain("functionTimeout");
    expect(fn.properties!["spec"]!.properties!["invokeStrategy"]!.properties!["executionStrategy"]!.properties).toHaveProperty("executorType");
  });

  it("map int64 to int-or-string, bytes to base64, maps to additionalProperties", () => {
    const env = openapi(crds.find((c) => c.k.kind === "Environment")!.crd).properties!["spec"]!;
    expect(env.properties!["terminationGracePeriod"]).toMatchObject({ "x-kubernetes-int-or-string": true, pattern: "^-?[0-9]+$" });
    expect(env.properties!["runtime"]!.properties!["env"]).toEqual({ type: "object", additionalProperties: { type: "string" } });
    const pkg = openapi(crds.find((c) => c.k.kind === "Package")!.crd).properties!["spec"]!;
    expect(pkg.properties!["deployment"]!.properties!["literal"]).toEqual({ type: "string", format: "byte" });
  });

  it("have a status subresource exactly where the message has a status", () => {
    const withStatus = crds.filter(({ crd }) => JSON.stringify(crd).includes('"subresources":{"status":{}}')).map(({ k }) => k.kind);
    expect(withStatus).toEqual(["Package", "CanaryConfig"]);
  });

  it("print columns whose paths exist in the schema", () => {
    for (const { k, crd } of crds) {
      const root = openapi(crd);
      const cols = (crd["spec"] as { versions: Array<{ additionalPrinterColumns: Array<{ jsonPath: string }> }> }).versions[0]!.additionalPrinterColumns;
      for (const c of cols) {
        if (c.jsonPath === ".metadata.creationTimestamp") continue;
        let s: Schema | undefined = root;
        for (const part of c.jsonPath.slice(1).split(".")) s = s?.properties?.[part];
        expect([k.kind, c.jsonPath, s !== undefined]).toEqual([k.kind, c.jsonPath, true]);
      }
    }
  });

  it("accept every field the proto JSON encoder writes, set to non-default values", () => {
    for (const { k, crd } of crds) {
      const msg = fullyPopulated(k.message);
      const doc = { apiVersion: "fizz.dev/v1", kind: k.kind, ...(toJson(k.message, msg) as object) };
      expect([k.kind, crdValidator(crd)(doc)]).toEqual([k.kind, []]);
    }
  });

  it("reject a recursive message and an unmapped well-known type with a clear error", () => {
    const set = create(FileDescriptorSetSchema, {
      file: [
        create(FileDescriptorProtoSchema, {
          name: "t.proto",
          package: "t",
          syntax: "proto3",
          messageType: [{ name: "Node", field: [{ name: "child", number: 1, type: 11, typeName: ".t.Node", label: 1, jsonName: "child" }] }],
        }),
      ],
    });
    const node = createFileRegistry(set).getMessage("t.Node") as DescMessage;
    expect(() => messageSchema(node)).toThrow("t.Node → t.Node is recursive; a CRD schema cannot express it");
    expect(() => messageSchema(AnySchema)).toThrow("google.protobuf.Any has no CRD schema mapping");
  });
});
