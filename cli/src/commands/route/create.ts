// fizz route create [--name N] --function F [--weight W]... (--url PATH | --prefix PATH [--keep-prefix])
//                   [--method M]... [--host H]
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { buildTrigger, describeRoute } from "../../deploy.js";
import { collect, collectInt, normalizeMethods, pairWeights, slashed } from "../../flags.js";
import { printResources } from "../../output.js";
import { derivedName, unwrap } from "../../resources.js";
import { ROUTE_TABLE } from "./table.js";
import { saveSpec } from "../../spec/save.js";

interface Opts {
  name?: string;
  function?: string[];
  weight?: number[];
  url?: string;
  prefix?: string;
  keepPrefix?: boolean;
  method?: string[];
  host?: string;
  spec?: boolean;
}

export function register(group: Command): void {
  group
    .command("create")
    .description("create an HTTP route to one function, or split between several by weight")
    .option("--name <name>", "route name (default: <function>-<random>)")
    .option("--function <name>", "function to call (repeat with --weight to split traffic)", collect)
    .option("--weight <percent>", "share of traffic for the --function at the same position", collectInt)
    .option("--url <path>", "exact path; may contain {param} segments")
    .option("--prefix <path>", "route everything below this path")
    .option("--keep-prefix", "pass the prefix on to the function instead of stripping it")
    .option("--method <method>", "HTTP method (repeatable; default GET for --url, all for --prefix)", collect)
    .option("--host <host>", "host the route matches (default: any)")
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply")
    .action(
      run<Opts>(async (o, g) => {
        const functionref = pairWeights(o.function ?? [], o.weight ?? []);
        const first = functionref.type === "name" ? functionref.name : Object.keys(functionref.weights)[0]!;
        const methods = normalizeMethods(o.method);
        const t = buildTrigger({
          name: o.name ?? derivedName(first),
          namespace: g.namespace,
          functionref,
          url: o.url === undefined ? undefined : slashed(o.url),
          prefix: o.prefix === undefined ? undefined : slashed(o.prefix),
          keepPrefix: o.keepPrefix,
          methods: methods.length ? methods : o.url !== undefined ? ["GET"] : [],
          host: o.host,
        });
        if (o.spec) return void (await saveSpec(`route-${t.metadata!.name}.yaml`, [t]));
        const { wrap } = await import("@fizz/clients/resources");
        const made = unwrap(await (await adminApi()).create({ resource: wrap(t) }), "httpTrigger");
        if (g.output === "table") say(`route '${made.metadata?.name}' created: ${describeRoute(made)}`);
        else printResources(made, g.output, ROUTE_TABLE);
      }),
    );
}
