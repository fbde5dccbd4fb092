// How environments look in a table (shared by get and list).
import type { Environment } from "@fizz/proto";
import { age, type TableSpec } from "../../output.js";

export const ENV_TABLE: TableSpec<Environment> = {
  headers: ["NAME", "IMAGE", "POOLSIZE", "BUILDER", "AGE"],
  row: (e) => [
    e.metadata?.name ?? "",
    e.spec?.runtime?.image ?? "",
    String(e.spec?.poolsize ?? 3),
    e.spec?.builder?.image || "-",
    age(e.metadata?.creationTimestamp),
  ],
};
