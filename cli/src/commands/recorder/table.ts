// How Recorder resources look (shared by the recorder verbs) and the admin calls for them.
import { create } from "@bufbuild/protobuf";
import { Kind, ResourceSchema, type Recorder, type Resource } from "@fizz/proto";
import type { AdminClient } from "@fizz/clients";
import { FizzError } from "@fizz/common/errors";
import { InvalidArgumentError } from "commander";
import { age, printResources, type TableSpec } from "../../output.js";
import type { OutputFormat } from "../../context.js";

export function unwrapRecorder(r: Resource): Recorder {
  if (r.kind.case !== "recorder") throw new FizzError("INTERNAL", `expected a recorder, the admin API returned a ${r.kind.case ?? "resource with no kind"}`);
  return r.kind.value;
}

export const wrapRecorder = (r: Recorder): Resource => create(ResourceSchema, { kind: { case: "recorder", value: r } });

export async function getRecorder(api: AdminClient, namespace: string, name: string): Promise<Recorder> {
  return unwrapRecorder(await api.get({ kind: Kind.RECORDER, namespace, name }));
}

export async function listRecorders(api: AdminClient, namespace: string): Promise<Recorder[]> {
  const res = await api.list({ kind: Kind.RECORDER, namespace });
  return res.items.map(unwrapRecorder).sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
}

/** --sample: 0 < rate <= 1. */
export function rateArg(v: string): number {
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v.trim()) || !(n > 0 && n <= 1)) throw new InvalidArgumentError(`expected a share between 0 (exclusive) and 1, got "${v}"`);
  return n;
}

const RECORDER_TABLE: TableSpec<Recorder> = {
  headers: ["NAME", "FUNCTION", "TRIGGERS", "ENABLED", "SAMPLE", "RETENTION", "MAX BODY", "REDACT", "AGE"],
  row: (r) => {
    const s = r.spec;
    return [
      r.metadata?.name ?? "",
      s?.function || "-",
      s?.triggers.length ? s.triggers.join(",") : "-",
      s?.enabled ? "yes" : "no",
      String(s?.sampleRate ?? 1),
      s?.retention || "24h",
      String(s?.maxBodyBytes ?? 65536),
      s?.redactHeaders.length ? s.redactHeaders.join(",") : "authorization,cookie",
      age(r.metadata?.creationTimestamp),
    ];
  },
};

export const printRecorders = (items: Recorder | Recorder[], format: OutputFormat): void => printResources(items, format, RECORDER_TABLE);
