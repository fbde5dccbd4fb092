// How functions look in a table (shared by get and list).
import type { Function as FnResource } from "@fizz/proto";
import { age, type TableSpec } from "../../output.js";

export const FN_TABLE: TableSpec<FnResource> = {
  headers: ["NAME", "ENV", "EXECUTORTYPE", "PACKAGE", "ENTRYPOINT", "TIMEOUT", "IDLETIMEOUT", "CONCURRENCY", "AGE"],
  row: (f) => {
    const s = f.spec;
    return [
      f.metadata?.name ?? "",
      s?.environment?.name ?? "",
      s?.invokeStrategy?.executionStrategy?.executorType || "poolmgr",
      s?.package?.packageref?.name ?? "",
      s?.package?.functionName || "-",
      `${s?.functionTimeout || 60}s`,
      `${s?.idletimeout ?? 120}s`,
      String(s?.concurrency || 500),
      age(f.metadata?.creationTimestamp),
    ];
  },
};
