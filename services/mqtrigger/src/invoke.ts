// One HTTP invocation of a function through the router's internal route, with undici over a
// keep-alive pool (the router is a single origin).
import { Pool } from "undici";
import { extract, withClientSpan } from "@fizz/telemetry";

/** Headers never copied between a message and an HTTP request or response. */
const HOP = new Set([
  "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "date",
]);

export const copyable = (name: string) => !HOP.has(name.toLowerCase());

export interface InvokeResult {
  /** 2xx. */
  ok: boolean;
  /** 0 when no response came (unreachable, timeout). */
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Why it failed, in words. */
  error?: string;
}

export class Invoker {
  private readonly pool: Pool;

  constructor(
    routerUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool(routerUrl, { connections: 256, pipelining: 1 });
  }

  async invoke(path: string, body: Uint8Array, headers: Record<string, string>, signal?: AbortSignal): Promise<InvokeResult> {
    try {
      // Tracing on: a client span continuing the trace the message carried (its traceparent
      // header), or starting one; its context replaces that header on the way to the router.
      const call = () => this.pool.request({ path, method: "POST", body, headers, signal, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
      const res = await withClientSpan(`mqtrigger POST ${path}`, headers, call, undefined, extract(headers));
      const buf = Buffer.from(await res.body.arrayBuffer());
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && copyable(k)) out[k] = Array.isArray(v) ? v.join(", ") : v;
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { ok, status: res.statusCode, headers: out, body: buf, error: ok ? undefined : `function answered ${res.statusCode}` };
    } catch (err) {
      if (signal?.aborted) throw err;
      return { ok: false, status: 0, headers: {}, body: Buffer.alloc(0), error: `invocation failed: ${(err as Error).message}` };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
