// fizz pkg info --name N: what a package holds, its build status and its whole build log.
import type { Command } from "commander";
import type { Package } from "@fizz/proto";
import { adminApi, run } from "../../context.js";
import { archiveSize, describeArchive, hasArchive } from "../../archive-io.js";
import { age, formatDocs } from "../../output.js";
import { getResource, listResources } from "../../resources.js";

/** The human-readable report; sizes of stored archives are looked up by the caller. */
export function formatInfo(pkg: Package, o: { sourceSize?: number; deploymentSize?: number; functions: string[]; now?: number }): string {
  const s = pkg.spec;
  const st = pkg.status;
  const when = st?.lastUpdateTimestamp ? `${st.lastUpdateTimestamp} (${age(st.lastUpdateTimestamp, o.now)} ago)` : "-";
  const rows: Array<[string, string]> = [
    ["Name", pkg.metadata?.name ?? ""],
    ["Namespace", pkg.metadata?.namespace ?? ""],
    ["Environment", s?.environment?.name ?? ""],
    ["Status", st?.buildstatus || "-"],
    ["Last update", when],
    ["Build command", s?.buildcmd || (hasArchive(s?.source) ? "(the environment's)" : "-")],
    ["Source", hasArchive(s?.source) ? describeArchive(s.source, o.sourceSize) : "-"],
    ["Deployment", hasArchive(s?.deployment) ? describeArchive(s.deployment, o.deploymentSize) : "-"],
    ["Functions", o.functions.length ? o.functions.join(", ") : "-"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  const head = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join("\n");
  const log = st?.buildlog ?? "";
  const body = log ? `${log}${log.endsWith("\n") ? "" : "\n"}` : "(empty)\n";
  return `${head}\nBuild log:\n${body}`;
}

export function register(group: Command): void {
  group
    .command("info")
    .alias("get")
    .description("show a package: status, archives and the whole build log")
    .requiredOption("--name <name>", "package name")
    .action(
      run<{ name: string }>(async (o, g) => {
        const api = await adminApi();
        const pkg = await getResource(api, "package", g.namespace, o.name);
        if (g.output !== "table") {
          process.stdout.write(formatDocs(pkg, g.output));
          return;
        }
        const s = pkg.spec;
        const [sourceSize, deploymentSize, fns] = await Promise.all([
          hasArchive(s?.source) ? archiveSize(s.source) : undefined,
          hasArchive(s?.deployment) ? archiveSize(s.deployment) : undefined,
          listResources(api, "function", g.namespace),
        ]);
        const functions = fns.filter((f) => f.spec?.package?.packageref?.name === o.name).map((f) => f.metadata?.name ?? "").sort();
        process.stdout.write(formatInfo(pkg, { sourceSize, deploymentSize, functions }));
      }),
    );
}
