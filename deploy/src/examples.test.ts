import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { loadConfig, silentLogger } from "@fizz/common";
import { adminClient, metaOf, wrap, type AdminClient, type KindValue } from "@fizz/clients";
import { Controller, configSchema } from "@fizz/controller";
import { crdValidator, type DocValidator } from "./crd-validate.js";
import { kindMessages } from "./crds.js";
import { CRD_DIR } from "./gen-crds.js";
import { parseYamlDocs, type K8sObject } from "./kustomize.js";

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "kubernetes", "examples");
const kinds = kindMessages();
const docs: K8sObject[] = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) => parseYamlDocs(readFileSync(join(EXAMPLES, f), "utf8"), f));

// The committed CRD files, not the generator's output: these are what a cluster gets.
const validators = new Map<string, DocValidator>(
  kinds.map((k) => [k.kind, crdValidator(parseYamlDocs(readFileSync(join(CRD_DIR, `${k.plural}.fizz.dev.yaml`), "utf8"), k.plural)[0]!)]),
);
const validate = (doc: unknown) => validators.get((doc as K8sObject).kind)!(doc);
const clone = <T>(v: T): T => structuredClone(v);
const example = (kind: string) => clone(docs.find((d) => d.kind === kind)!) as K8sObject & { spec: Record<string, any> };

describe("example custom resources", () => {
  it("include every kind", () => {
    expect(new Set(docs.map((d) => d.kind))).toEqual(new Set(kinds.map((k) => k.kind)));
  });

  it("validate against the CRD schemas", () => {
    for (const d of docs) expect([d.kind, d.metadata.name, validate(d)]).toEqual([d.kind, d.metadata.name, []]);
  });

  const invalid: Array<[string, () => unknown, string]> = [
    ["a string where an integer belongs", () => ({ ...example("Environment"), spec: { ...example("Environment").spec, poolsize: "three" } }), "spec.poolsize: must be integer"],
    ["an unknown field", () => ({ ...example("Function"), spec: { ...example("Function").spec, timeout: 5 } }), 'spec: must NOT have additional properties "timeout"'],
    ["a proto field name instead of its JSON name", () => ({ ...example("Function"), spec: { ...example("Function").spec, function_timeout: 5 } }), 'additional properties "function_timeout"'],
    ["an int32 out of range", () => ({ ...example("Function"), spec: { ...example("Function").spec, concurrency: 2 ** 31 } }), 'spec.concurrency: must match format "int32"'],
    ["an int64 that is not a number", () => ({ ...example("Environment"), spec: { ...example("Environment").spec, terminationGracePeriod: "30s" } }), "spec.terminationGracePeriod: must match pattern"],
    ["bytes that are not base64", () => { const p = example("Package"); p.spec["deployment"].literal = "not base64!"; return p; }, 'spec.deployment.literal: must match format "byte"'],
    ["a map value of the wrong type", () => { const t = example("HTTPTrigger"); t.spec["functionref"].functionweights.hello = "all"; return t; }, "spec.functionref.functionweights.hello: must be integer"],
    ["a list that is a string", () => ({ ...example("HTTPTrigger"), spec: { ...example("HTTPTrigger").spec, methods: "GET" } }), "spec.methods: must be array"],
    ["no spec", () => ({ ...example("TimeTrigger"), spec: undefined }), "must have required property 'spec'"],
  ];
  it.each(invalid)("reject %s", (_what, make, message) => {
    const errors = validate(JSON.parse(JSON.stringify(make())));
    expect(errors.join("\n")).toContain(message);
  });

  describe("are accepted by a real controller", () => {
    let dir: string;
    let controller: Controller;
    let admin: AdminClient;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "fizz-examples-"));
      controller = new Controller(loadConfig(configSchema, { FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STATE_DIR: dir }, "controller"), silentLogger);
      await controller.start();
      admin = adminClient(controller.address!);
    });
    afterAll(async () => {
      admin?.close();
      await controller?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("created in file order, each reads back under its name", async () => {
      for (const d of docs) {
        const k = kinds.find((x) => x.kind === d.kind)!;
        const { apiVersion: _a, kind: _k, ...body } = d;
        const value = fromJson(k.message, body as JsonValue) as KindValue;
        const created = await admin.create({ resource: wrap(value) });
        expect(metaOf(created).name).toBe(d.metadata.name);
      }
      for (const k of kinds) {
        const listed = await admin.list({ kind: k.info.kind, namespace: "default" });
        expect([k.kind, listed.items.length]).toEqual([k.kind, docs.filter((d) => d.kind === k.kind).length]);
      }
    });
  });
});
