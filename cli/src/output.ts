// Tables for people, JSON/YAML for machines. Documents use protobuf JSON (Fission's camelCase
// field names) wrapped as Kubernetes-style objects: apiVersion, kind, metadata, spec.
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import type { KindValue } from "@fizz/clients/resources";
import { stringify } from "yaml";
import type { OutputFormat } from "./context.js";
import { FIZZ_API, kindOfValue } from "./spec/format.js";

export const API_VERSION = FIZZ_API;

export type AnyResource = KindValue;

/** A resource as a plain document: { apiVersion, kind, metadata, spec, status? }. */
export function toDoc(r: AnyResource): Record<string, JsonValue> {
  const k = kindOfValue(r);
  return { apiVersion: API_VERSION, kind: k.name, ...(toJson(k.schema, r) as Record<string, JsonValue>) };
}

/** JSON or YAML text of one resource or a list of them. */
export function formatDocs(value: AnyResource | AnyResource[], format: "json" | "yaml"): string {
  const doc = Array.isArray(value) ? value.map(toDoc) : toDoc(value);
  return format === "json" ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc);
}

/** Left-aligned columns separated by three spaces (like Fission's and kubectl's tables). */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** "45s", "12m", "3h", "5d": how long ago an RFC 3339 timestamp was. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  const t = timestamp ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(t)) return "-";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export interface TableSpec<T> {
  headers: string[];
  row: (r: T) => string[];
}

/** Prints resources in the requested format; tables use `spec`. */
export function printResources<T extends AnyResource>(items: T | T[], format: OutputFormat, spec: TableSpec<T>): void {
  if (format === "json" || format === "yaml") {
    process.stdout.write(formatDocs(items, format));
    return;
  }
  const list = Array.isArray(items) ? items : [items];
  process.stdout.write(formatTable(spec.headers, list.map(spec.row)));
}

/** Sorted by name, the order every list is shown in. */
export const byName = <T extends { metadata?: { name: string } }>(a: T, b: T) =>
  (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
