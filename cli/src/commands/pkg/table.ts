// How packages look in a table (list), and the --status values a listing can filter on.
import type { Package } from "@fizz/proto";
import { age, type TableSpec } from "../../output.js";

export const PKG_TABLE: TableSpec<Package> = {
  headers: ["NAME", "ENV", "STATUS", "AGE"],
  row: (p) => [p.metadata?.name ?? "", p.spec?.environment?.name ?? "", p.status?.buildstatus || "-", age(p.metadata?.creationTimestamp)],
};

/** The two lines every command prints after it left a package to be built. */
export function buildingHint(name: string): string[] {
  return [`package '${name}' is building`, `follow the build with: fizz pkg info --name ${name}`];
}
