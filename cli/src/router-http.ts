// HTTP to the router ($FIZZ_ROUTER) for the commands that call it directly (fn test, fn
// invocations): undici is loaded only by them, and "nothing listens there" becomes a clear line.
import type { Dispatcher } from "undici";
import { routerUrl } from "@fizz/common/ports";
import { FizzError, type ErrorCode } from "@fizz/common/errors";

type Options = { method?: string; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number };

/** One request to `url` (an absolute URL at the router). */
export async function routerRequest(url: string, o: Options = {}): Promise<Dispatcher.ResponseData> {
  const { request } = await import("undici");
  try {
    return await request(url, {
      method: (o.method ?? "GET") as "GET",
      headers: o.headers,
      body: o.body,
      headersTimeout: o.timeoutMs ?? 30_000,
      bodyTimeout: o.timeoutMs ?? 30_000,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "UND_ERR_CONNECT_TIMEOUT")
      throw new FizzError("UNAVAILABLE", `cannot reach the router at ${routerUrl()} (is the platform running? start it with 'pnpm start' or set FIZZ_ROUTER)`);
    throw err;
  }
}

/** GET `path` on the router as JSON; an error answer `{error, code, reason}` becomes that FizzError. */
export async function routerJson<T>(path: string): Promise<T> {
  const res = await routerRequest(`${routerUrl()}${path}`);
  const text = await res.body.text();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new FizzError("INTERNAL", `the router answered HTTP ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (res.statusCode >= 400) {
    const e = doc as { error?: unknown; code?: unknown; reason?: unknown };
    const code = typeof e.code === "string" ? (e.code as ErrorCode) : "INTERNAL";
    throw new FizzError(code, typeof e.error === "string" ? e.error : `the router answered HTTP ${res.statusCode}`, typeof e.reason === "string" ? e.reason : undefined);
  }
  return doc as T;
}
