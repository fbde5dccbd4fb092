// fizz route update --name N [--function F [--weight W]...] [--url P | --prefix P] [--keep-prefix]
//                   [--method M]... [--host H]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { FunctionReferenceSchema, HTTPTriggerSpecSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { collect, collectInt, normalizeMethods, pairWeights, slashed } from "../../flags.js";
import { printResources } from "../../output.js";
import { getResource, unwrap } from "../../resources.js";
import { ROUTE_TABLE } from "./table.js";
import { describeRoute } from "../../deploy.js";

interface Opts {
  name: string;
  function?: string[];
  weight?: number[];
  url?: string;
  prefix?: string;
  keepPrefix?: boolean;
  method?: string[];
  host?: string;
}

export function register(group: Command): void {
  group
    .command("update")
    .description("change an HTTP route (given flags replace what the route had)")
    .requiredOption("--name <name>", "route name")
    .option("--function <name>", "function(s) to call", collect)
    .option("--weight <percent>", "traffic share per --function", collectInt)
    .option("--url <path>", "exact path (replaces a prefix)")
    .option("--prefix <path>", "path prefix (replaces an exact path)")
    .option("--keep-prefix", "pass the prefix on to the function")
    .option("--no-keep-prefix", "strip the prefix")
    .option("--method <method>", "HTTP methods (repeatable; replaces the route's methods)", collect)
    .option("--host <host>", 'host the route matches ("" for any)')
    .action(
      run<Opts>(async (o, g) => {
        const { name, ...changes } = o;
        if (Object.values(changes).every((v) => v === undefined)) throw usage("nothing to change: give --function, --weight, --url, --prefix, --keep-prefix, --method or --host");
        if (o.url !== undefined && o.prefix !== undefined) throw usage("give --url or --prefix, not both");
        const api = await adminApi();
        const t = await getResource(api, "httpTrigger", g.namespace, name);
        const s = (t.spec ??= create(HTTPTriggerSpecSchema));
        if (o.function || o.weight) {
          if (!o.function) throw usage("--weight needs the --function flags it applies to");
          const ref = pairWeights(o.function, o.weight ?? []);
          s.functionref =
            ref.type === "name"
              ? create(FunctionReferenceSchema, { type: "name", name: ref.name })
              : create(FunctionReferenceSchema, { type: "function-weights", functionweights: ref.weights });
        }
        if (o.url !== undefined) {
          s.relativeurl = slashed(o.url);
          s.prefix = undefined;
        }
        if (o.prefix !== undefined) {
          s.prefix = slashed(o.prefix);
          s.relativeurl = "";
        }
        if (o.keepPrefix !== undefined) s.keepPrefix = o.keepPrefix;
        if (o.method !== undefined) {
          s.methods = normalizeMethods(o.method);
          s.method = "";
        }
        if (o.host !== undefined) s.host = o.host;
        const { wrap } = await import("@fizz/clients/resources");
        const updated = unwrap(await api.update({ resource: wrap(t) }), "httpTrigger");
        if (g.output === "table") say(`route '${name}' updated: ${describeRoute(updated)}`);
        else printResources(updated, g.output, ROUTE_TABLE);
      }),
    );
}
