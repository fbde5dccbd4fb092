// fizz spec validate [--specdir specs]
// Every problem in the spec directory at once, each with its file and line; exit 1 if any.
// References are checked against the platform too when it answers (offline: against the specs,
// with a warning for what could not be checked).
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { failOnProblems, runPass } from "../../spec/session.js";
import { specDirOption } from "./common.js";

interface Opts {
  specdir: string;
}

export function register(group: Command): void {
  specDirOption(group.command("validate").description("check the spec directory: every problem, with file and line, before anything is applied")).action(
    run<Opts>(async (o, g) => {
      const pass = await runPass({ dir: o.specdir, namespace: g.namespace, api: await adminApi(), needPlatform: false });
      if (pass.offline) pass.warnings.push({ message: `the platform could not be asked (${pass.offline}); references were checked against the specs only` });
      failOnProblems(pass);
      const s = pass.set;
      say(`${o.specdir} is valid: ${s.resources.length} resource${s.resources.length === 1 ? "" : "s"}, ${s.archives.length} archive${s.archives.length === 1 ? "" : "s"} in ${s.files.length} file${s.files.length === 1 ? "" : "s"}`);
    }),
  );
}
