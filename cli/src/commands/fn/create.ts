// fizz fn create --name N --env E (--code FILE | --src PATH [--buildcmd CMD] | --deploy PATH | --pkg P)
//                [--entrypoint file.fn] [--url /path [--method GET]... | --prefix /p] [--fntimeout 60] ...
//                [--wait [--timeout 300]]
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { lazyUploader } from "../../code.js";
import { waitForBuild } from "../../build-wait.js";
import { createFunction, describeRoute } from "../../deploy.js";
import { collect, intArg, normalizeMethods, slashed } from "../../flags.js";
import { formatDocs } from "../../output.js";
import { isBuilding } from "../../package.js";
import { saveFunctionSpec } from "../../spec/save-package.js";

interface Opts {
  name: string;
  env: string;
  code?: string;
  src?: string;
  deploy?: string;
  buildcmd?: string;
  pkg?: string;
  wait?: boolean;
  timeout: number;
  entrypoint?: string;
  url?: string;
  prefix?: string;
  method?: string[];
  host?: string;
  fntimeout?: number;
  idletimeout?: number;
  concurrency?: number;
  requestsperpod?: number;
  executortype?: string;
  spec?: boolean;
}

export function register(group: Command): void {
  group
    .command("create")
    .description("create a function from a file (--code), source to build (--src), a built archive (--deploy) or a package (--pkg)")
    .requiredOption("--name <name>", "function name")
    .requiredOption("--env <env>", "environment the function runs in")
    .option("--code <file>", "single source file to deploy as it is (packaged as a zip containing the file)")
    .option("--src <path>", "source to build first: a directory, a .zip / .tar.gz, or a file")
    .option("--deploy <path>", "prebuilt code to run as it is: a directory, a .zip / .tar.gz, or a file")
    .option("--buildcmd <cmd>", "build command for --src (default: the environment's, e.g. npm install)")
    .option("--pkg <package>", "existing package to use")
    .option("--entrypoint <entry>", 'entry point: "fn", "file.fn" (default: the file\'s default export)')
    .option("--url <path>", "also create an HTTP route for this exact path")
    .option("--prefix <path>", "also create an HTTP route for everything below this path")
    .option("--method <method>", "HTTP method of the route (repeatable; default GET for --url, all for --prefix)", collect)
    .option("--host <host>", "host the route matches (default: any)")
    .option("--fntimeout <seconds>", "seconds one request may take", intArg)
    .option("--idletimeout <seconds>", "seconds an idle instance is kept", intArg)
    .option("--concurrency <n>", "maximum instances of this function", intArg)
    .option("--requestsperpod <n>", "concurrent requests one instance takes", intArg)
    .option("--executortype <type>", "poolmgr or newdeploy", "poolmgr")
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply")
    .option("--wait", "with --src: wait until the package is built")
    .option("--timeout <seconds>", "with --wait: give up after this long", intArg, 300)
    .action(
      run<Opts>(async (o, g) => {
        const fo = {
          ...o,
          namespace: g.namespace,
          url: o.url === undefined ? undefined : slashed(o.url),
          prefix: o.prefix === undefined ? undefined : slashed(o.prefix),
          methods: normalizeMethods(o.method),
        };
        if (o.spec) return saveFunctionSpec(fo);
        const api = await adminApi();
        const made = await createFunction(api, fo, lazyUploader);
        const table = g.output === "table";
        if (table) {
          if (made.pkg) say(`package '${made.pkg.metadata?.name}' created`);
          say(`function '${o.name}' created`);
          if (made.trigger) say(`route '${made.trigger.metadata?.name}' created: ${describeRoute(made.trigger)} -> ${o.name}`);
        }
        const pkgName = made.pkg?.metadata?.name;
        if (pkgName && isBuilding(made.pkg)) {
          if (!o.wait) {
            if (table) {
              say(`package '${pkgName}' is building; the function answers once the build succeeds`);
              say(`follow the build with: fizz pkg info --name ${pkgName}`);
            }
          } else {
            if (table) say(`waiting for package '${pkgName}' to build...`);
            made.pkg = await waitForBuild(api, g.namespace, pkgName, { timeoutMs: o.timeout * 1000 });
            if (table) say(`package '${pkgName}' built`);
          }
        }
        if (g.output !== "table") {
          const docs = [made.pkg, made.fn, made.trigger].filter((x) => x !== undefined);
          process.stdout.write(formatDocs(docs, g.output));
        }
      }),
    );
}
