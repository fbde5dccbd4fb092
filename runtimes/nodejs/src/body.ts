// Request bodies: read with a size limit, then parse by content type the way Fission's
// express/body-parser stack does (json, urlencoded, text/*, raw), with these choices:
//   - non-empty body: application/json and */*+json -> parsed value (bad JSON -> 400),
//     application/x-www-form-urlencoded -> object (repeated keys -> arrays), text/* -> string,
//     anything else (octet-stream, images, no content type...) -> Buffer;
//   - empty body (or none): "" for text/*, {} for everything else, so `body.field` never throws.
// `rawBody` is always the bytes as received (an empty Buffer when there were none).
import type { IncomingMessage } from "node:http";
import { parse as parseQueryString } from "node:querystring";

/** A request that cannot reach the function: answered with `status` and `{error: message}`. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const EMPTY: Buffer = Buffer.alloc(0);

/** True when the request carries (or may carry) a body. Cheap: two header lookups. */
export function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers["content-length"];
  if (cl !== undefined) return cl !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/** Reads the whole body; rejects with a 413 RequestError past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const cl = req.headers["content-length"];
  if (cl !== undefined && Number(cl) > limit) return Promise.reject(tooLarge(limit));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.removeListener("data", onData);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (size > limit) return;
      resolve(chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, size));
    });
    req.once("error", reject);
  });
}

function tooLarge(limit: number): RequestError {
  return new RequestError(413, `request body larger than ${limit} bytes`);
}

/** Parses `raw` according to the content-type header (see the file comment for the rules). */
export function parseBody(contentType: string | undefined, raw: Buffer): unknown {
  if (contentType === undefined) return raw.length === 0 ? {} : raw;
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type.startsWith("text/")) return raw.length === 0 ? "" : raw.toString(charsetOf(contentType, semi));
  if (raw.length === 0) return {};
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      return JSON.parse(raw.toString("utf8"));
    } catch {
      throw new RequestError(400, "invalid JSON body");
    }
  }
  if (type === "application/x-www-form-urlencoded") return parseQueryString(raw.toString("utf8"));
  return raw;
}

function charsetOf(contentType: string, semi: number): BufferEncoding {
  if (semi < 0) return "utf8";
  const m = /charset\s*=\s*"?([\w-]+)/i.exec(contentType.slice(semi));
  if (!m) return "utf8";
  const cs = m[1]!.toLowerCase();
  if (cs === "iso-8859-1" || cs === "latin1" || cs === "us-ascii") return "latin1";
  return Buffer.isEncoding(cs) ? cs : "utf8";
}

/** The query string (without "?") as an object; repeated keys become arrays (node:querystring). */
export function parseQuery(qs: string): Record<string, string | string[]> {
  return qs.length === 0 ? {} : (parseQueryString(qs) as Record<string, string | string[]>);
}

/**
 * Path parameters the router forwards as `X-Fizz-Params-<name>` (or Fission's
 * `X-Fission-Params-<name>`) headers. Names keep the case they were sent with.
 */
export function paramsOf(rawHeaders: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length < 13 || (name.charCodeAt(0) | 32) !== 120 /* x */) continue;
    const lower = name.toLowerCase();
    let start = 0;
    if (lower.startsWith("x-fizz-params-")) start = 14;
    else if (lower.startsWith("x-fission-params-")) start = 17;
    if (start === 0 || name.length === start) continue;
    const key = name.slice(start);
    if (key === "__proto__") continue;
    params[key] = rawHeaders[i + 1]!;
  }
  return params;
}

/** The body of POST /v2/specialize: {filepath, functionName}; 400 RequestError when malformed. */
export async function specializeRequest(req: IncomingMessage): Promise<{ filepath: string; functionName: string }> {
  const raw = hasBody(req) ? await readBody(req, 1024 * 1024) : Buffer.alloc(0);
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : JSON.parse(raw.toString("utf8"));
  } catch {
    throw new RequestError(400, "invalid JSON body: expected {filepath, functionName}");
  }
  const { filepath, functionName } = (body ?? {}) as { filepath?: unknown; functionName?: unknown };
  if (typeof filepath !== "string" || filepath === "") throw new RequestError(400, "filepath is required");
  if (functionName !== undefined && functionName !== null && typeof functionName !== "string") {
    throw new RequestError(400, "functionName must be a string");
  }
  return { filepath, functionName: functionName ?? "" };
}
