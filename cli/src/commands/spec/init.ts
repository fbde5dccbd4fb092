// fizz spec init [--specdir specs] [--name N] [--deployid ID]
// Creates the spec directory and its deployment config: the uid every applied resource is
// labelled with, so apply --delete and destroy touch nothing else.
import type { Command } from "commander";
import { randomUUID } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { stringify } from "yaml";
import { run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { CONFIG_FILE, FISSION_CONFIG_FILE, FIZZ_API } from "../../spec/format.js";
import { specDirOption } from "./common.js";

interface Opts {
  specdir: string;
  name?: string;
  deployid?: string;
}

const HEADER = `# Written by 'fizz spec init'. Every resource 'fizz spec apply' creates is labelled with this
# uid; apply --delete and destroy only ever touch resources carrying it. Do not change it.
`;

export function register(group: Command): void {
  specDirOption(group.command("init").description("create a spec directory with a deployment config (a unique id)"))
    .option("--name <name>", "name of the app (default: the current directory's name)")
    .option("--deployid <id>", "deployment uid (default: a new random one)")
    .action(
      run<Opts>(async (o) => {
        for (const f of [CONFIG_FILE, FISSION_CONFIG_FILE]) {
          const exists = await stat(join(o.specdir, f)).then(() => true, () => false);
          if (exists) throw usage(`${join(o.specdir, f)} already exists; this directory is initialised`);
        }
        await mkdir(o.specdir, { recursive: true });
        const name = o.name ?? basename(resolve(o.specdir, "..")).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
        const config = { apiVersion: FIZZ_API, kind: "DeploymentConfig", name, uid: o.deployid ?? randomUUID() };
        await writeFile(join(o.specdir, CONFIG_FILE), HEADER + stringify(config));
        say(`created ${join(o.specdir, CONFIG_FILE)} (deployment '${name}', uid ${config.uid})`);
        say(`add resources with --spec on create commands (fizz fn create ... --spec), then: fizz spec apply`);
      }),
    );
}
