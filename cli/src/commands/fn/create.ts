// fizz fn create --name N --env E (--code FILE | --pkg P) [--entrypoint file.fn]
//                [--url /path [--method GET]... | --prefix /p] [--fntimeout 60] ...
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { storageUploader } from "../../code.js";
import { createFunction, describeRoute } from "../../deploy.js";
import { collect, intArg, normalizeMethods, slashed } from "../../flags.js";
import { formatDocs } from "../../output.js";

interface Opts {
  name: string;
  env: string;
  code?: string;
  pkg?: string;
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
}

export function register(group: Command): void {
  group
    .command("create")
    .description("create a function from a source file (--code) or an existing package (--pkg)")
    .requiredOption("--name <name>", "function name")
    .requiredOption("--env <env>", "environment the function runs in")
    .option("--code <file>", "source file to deploy (packaged as a zip containing the file)")
    .option("--pkg <package>", "existing package to use instead of --code")
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
    .action(
      run<Opts>(async (o, g) => {
        const api = await adminApi();
        const made = await createFunction(
          api,
          {
            ...o,
            namespace: g.namespace,
            url: o.url === undefined ? undefined : slashed(o.url),
            prefix: o.prefix === undefined ? undefined : slashed(o.prefix),
            methods: normalizeMethods(o.method),
          },
          async (data) => (await storageUploader())(data),
        );
        if (g.output !== "table") {
          const docs = [made.pkg, made.fn, made.trigger].filter((x) => x !== undefined);
          process.stdout.write(formatDocs(docs, g.output));
          return;
        }
        if (made.pkg) say(`package '${made.pkg.metadata?.name}' created`);
        say(`function '${o.name}' created`);
        if (made.trigger) say(`route '${made.trigger.metadata?.name}' created: ${describeRoute(made.trigger)} -> ${o.name}`);
      }),
    );
}
