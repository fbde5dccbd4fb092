// fizz fn test --name N [--method GET] [-H 'K: V']... [--body STR|@file] [--subpath /x] [--query a=b]...
// Calls the function through the router's internal route and prints what it answered.
import type { Command } from "commander";
import { routerUrl } from "@fizz/common/ports";
import { run } from "../../context.js";
import { routerRequest } from "../../router-http.js";
import { collect, intArg, normalizeMethods, parseHeaders, queryString, readBody, slashed } from "../../flags.js";

interface Opts {
  name: string;
  method: string;
  header?: string[];
  body?: string;
  subpath?: string;
  query?: string[];
  timeout: number;
  verbose?: boolean;
}

/**
 * The router's own error (not the function's answer): a JSON `{error, code}` body on a response
 * the router did not proxy (proxied ones carry X-Fizz-Function-Name). Returns the line to print.
 */
export function routerError(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer, name: string): string | undefined {
  if (status < 400 || headers["x-fizz-function-name"] !== undefined) return undefined;
  let doc: { error?: unknown; code?: unknown; reason?: unknown };
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof doc?.error !== "string") return undefined;
  const msg = doc.error;
  // The executor names the build status and the command that shows the build log.
  if (doc.reason === "PACKAGE_NOT_BUILT") {
    if (/buildstatus: (pending|running)/.test(msg)) return `${msg} (HTTP 503; the build has not finished yet: try again once it succeeds)`;
    return `${msg} (HTTP 503)`;
  }
  return `function '${name}' could not be called: ${msg} (HTTP ${status} from the router)`;
}

/** The URL `fn test` calls. */
export function testUrl(base: string, name: string, subpath?: string, query?: string[]): string {
  const sub = subpath && subpath !== "/" ? slashed(subpath) : "";
  return `${base}/fizz-function/${encodeURIComponent(name)}${sub}${queryString(query)}`;
}

export function register(group: Command): void {
  group
    .command("test")
    .description("call a function through the router and print its response")
    .requiredOption("--name <name>", "function name")
    .option("--method <method>", "HTTP method", "GET")
    .option("-H, --header <header>", '"Name: value" request header (repeatable)', collect)
    .option("-b, --body <body>", "request body, or @file to send a file")
    .option("--subpath <path>", "path below the function's URL")
    .option("-q, --query <name=value>", "query parameter (repeatable)", collect)
    .option("-t, --timeout <seconds>", "give up after this long", intArg, 60)
    .option("-v, --verbose", "also print the status line and response headers")
    .action(
      run<Opts>(async (o) => {
        const [method = "GET"] = normalizeMethods([o.method]);
        const url = testUrl(routerUrl(), o.name, o.subpath, o.query);
        const body = await readBody(o.body);
        const res = await routerRequest(url, { method, headers: parseHeaders(o.header), body, timeoutMs: o.timeout * 1000 });
        const text = Buffer.from(await res.body.arrayBuffer());
        if (o.verbose) {
          process.stdout.write(`HTTP ${res.statusCode}\n`);
          for (const [k, v] of Object.entries(res.headers)) process.stdout.write(`${k}: ${Array.isArray(v) ? v.join(", ") : v}\n`);
          process.stdout.write("\n");
        }
        const fromRouter = routerError(res.statusCode, res.headers, text, o.name);
        if (fromRouter !== undefined) {
          if (o.verbose) process.stdout.write(text.length && text[text.length - 1] !== 10 ? Buffer.concat([text, Buffer.from("\n")]) : text);
          process.stderr.write(`fizz: ${fromRouter}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(text);
        if (res.statusCode < 200 || res.statusCode > 299) {
          if (text.length && text[text.length - 1] !== 10) process.stdout.write("\n");
          process.stderr.write(`fizz: function '${o.name}' answered HTTP ${res.statusCode}\n`);
          process.exitCode = 1;
        }
      }),
    );
}
