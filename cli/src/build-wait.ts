// `--wait`: follow a package's build until it succeeds or fails, by polling the admin API.
import type { Package } from "@fizz/proto";
import type { AdminClient } from "@fizz/clients";
import { FizzError } from "@fizz/common/errors";
import { getResource } from "./resources.js";

export const BUILD_STATUSES = ["pending", "running", "succeeded", "failed", "none"] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called when the status changes (for progress lines). */
  onStatus?: (status: string) => void;
}

/** The last lines of a build log, for an error message. */
export function logTail(log: string, lines = 10): string {
  const all = log.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** Resolves with the built package; fails when the build fails or the time is up. */
export async function waitForBuild(api: AdminClient, namespace: string, name: string, o: WaitOptions): Promise<Package> {
  const deadline = Date.now() + o.timeoutMs;
  let last = "";
  for (;;) {
    const pkg = await getResource(api, "package", namespace, name);
    const status = pkg.status?.buildstatus ?? "";
    if (status !== last) {
      o.onStatus?.(status);
      last = status;
    }
    if (status === "succeeded" || status === "none") return pkg;
    if (status === "failed") {
      // The error itself is one line; the end of the log goes before it.
      const tail = logTail(pkg.status?.buildlog ?? "");
      if (tail) process.stderr.write(`${tail}\n`);
      throw new FizzError("FAILED_PRECONDITION", `package '${name}' failed to build; see the whole log with: fizz pkg info --name ${name}`);
    }
    if (Date.now() >= deadline)
      throw new FizzError("DEADLINE_EXCEEDED", `package '${name}' is still ${status || "not built"} after ${Math.round(o.timeoutMs / 1000)}s; follow it with: fizz pkg info --name ${name}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
  }
}
