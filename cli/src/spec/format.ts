// The spec directory's vocabulary: API versions, file and label names, the kinds a spec may hold
// (every resource kind of libs/proto, found by its message name, so a new kind needs no change
// here), and the shapes the reader hands to validation, planning and apply.
import type { DescMessage } from "@bufbuild/protobuf";
import {
  CanaryConfigSchema,
  EnvironmentSchema,
  FunctionSchema,
  HTTPTriggerSchema,
  MessageQueueTriggerSchema,
  PackageSchema,
  RecorderSchema,
  TimeTriggerSchema,
  kindByName,
  type KindInfo,
} from "@fizz/proto";
import type { KindValue } from "@fizz/clients/resources";

export const FIZZ_API = "fizz.dev/v1";
export const FISSION_API = "fission.io/v1";
export const API_VERSIONS = [FIZZ_API, FISSION_API];

export const SPEC_DIR = "specs";
export const CONFIG_FILE = "fizz-deployment-config.yaml";
export const FISSION_CONFIG_FILE = "fission-deployment-config.yaml";
export const IGNORE_FILE = ".specignore";
export const ARCHIVE_PREFIX = "archive://";

/** Label on every resource `spec apply` creates: the deployment it belongs to. */
export const UID_LABEL = "fizz.dev/deployment-uid";
/** Fission's own keys (annotations), understood on resources and written for Fission specs. */
export const FISSION_UID_ANNOTATION = "fission-uid";
export const FISSION_NAME_ANNOTATION = "fission-name";

export interface SpecKind {
  info: KindInfo;
  /** The YAML `kind` ("HTTPTrigger"). */
  name: string;
  schema: DescMessage;
}

// Apply order: what others refer to comes first; deletes go the other way.
const SCHEMAS: DescMessage[] = [
  EnvironmentSchema,
  PackageSchema,
  FunctionSchema,
  HTTPTriggerSchema,
  TimeTriggerSchema,
  MessageQueueTriggerSchema,
  CanaryConfigSchema,
  RecorderSchema,
];

export const SPEC_KINDS: SpecKind[] = SCHEMAS.map((schema) => {
  const info = kindByName(schema.name.toLowerCase());
  if (!info) throw new Error(`no resource kind for message ${schema.typeName}`);
  return { info, name: schema.name, schema };
});

const BY_NAME = new Map(SPEC_KINDS.map((k) => [k.name.toLowerCase(), k]));
const BY_CASE = new Map(SPEC_KINDS.map((k) => [k.info.case, k]));

export const specKind = (yamlKind: string) => BY_NAME.get(yamlKind.toLowerCase());
export const specKindOfCase = (c: string) => BY_CASE.get(c as KindInfo["case"])!;
export const kindOfValue = (v: KindValue) => SPEC_KINDS.find((k) => k.schema.typeName === v.$typeName)!;

export interface Loc {
  file: string;
  line: number;
}

export const at = (loc: Loc | undefined) => (loc ? `${loc.file}:${loc.line}` : "");

export interface Problem {
  loc?: Loc;
  message: string;
}

export interface DeploymentConfig {
  name: string;
  uid: string;
  /** Read from a fission.io/v1 document: resources also get Fission's uid annotation. */
  fission: boolean;
  loc: Loc;
}

export interface ArchiveSpec {
  name: string;
  rootdir: string;
  include: string[];
  exclude: string[];
  loc: Loc;
}

export interface SpecResource {
  kind: SpecKind;
  value: KindValue;
  loc: Loc;
  /** Line of a field path inside the document (for messages about one field). */
  lineOf: (path: Array<string | number>) => number;
}

export interface SpecSet {
  dir: string;
  /** Where archive globs are relative to by default: the spec directory's parent. */
  root: string;
  files: string[];
  config?: DeploymentConfig;
  archives: ArchiveSpec[];
  resources: SpecResource[];
  /** keyOf() of every resource document, also those that failed to convert (no cascading "missing" errors). */
  declared: Set<string>;
  errors: Problem[];
  warnings: Problem[];
}

export const keyOf = (kind: SpecKind, namespace: string, name: string) => `${kind.info.name}/${namespace}/${name}`;
export const nameOf = (v: KindValue) => v.metadata?.name ?? "";
export const namespaceOf = (v: KindValue) => v.metadata?.namespace || "default";
