// Shared by getsrc and getdeploy: write one of a package's archives to a file or stdout.
// `-o/--output FILE` names the file here (as in Fission); "-" is stdout.
import type { Command } from "commander";
import { adminApi, outputFile, run, say } from "../../context.js";
import { archiveBytes, hasArchive, humanSize, writeOut } from "../../archive-io.js";
import { usage } from "../../errors.js";
import { getResource } from "../../resources.js";

export function registerFetch(group: Command, verb: "getsrc" | "getdeploy"): void {
  const src = verb === "getsrc";
  const what = src ? "source" : "deployment";
  group
    .command(verb)
    .description(`write a package's ${what} archive to a file ("-o -" for stdout)`)
    .requiredOption("--name <name>", "package name")
    .option("-o, --output <file>", 'file to write, or "-" for stdout')
    .action(
      run<{ name: string }>(
        async (o, g, cmd) => {
          const target = outputFile(cmd);
          if (!target) throw usage(`--output FILE is required (or "--output -" for stdout)`);
          const pkg = await getResource(await adminApi(), "package", g.namespace, o.name);
          const archive = src ? pkg.spec?.source : pkg.spec?.deployment;
          if (!hasArchive(archive)) {
            const status = pkg.status?.buildstatus || "none";
            throw usage(
              src
                ? `package '${o.name}' has no source archive (it holds prebuilt code only; try getdeploy)`
                : `package '${o.name}' has no deployment archive yet (buildstatus: ${status}); see fizz pkg info --name ${o.name}`,
            );
          }
          const data = await archiveBytes(archive, `package '${o.name}' ${what}`);
          await writeOut(target, data);
          if (target !== "-") say(`${what} of package '${o.name}' written to ${target} (${humanSize(data.length)})`);
        },
        { outputIsFile: true },
      ),
    );
}
