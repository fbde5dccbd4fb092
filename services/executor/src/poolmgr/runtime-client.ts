// HTTP calls from the executor to runtime instances: specialize and health checks, over one
// keep-alive agent per executor.
import { Agent, request } from "undici";
import { FizzError } from "@fizz/common";

export interface SpecializeRequest {
  filepath: string;
  functionName: string;
}

export class RuntimeClient {
  private readonly agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000, connections: 4 });

  /** POST /v2/specialize (v1: /specialize, no body); failures carry the runtime's own message. */
  async specialize(address: string, body: SpecializeRequest | undefined, timeoutMs: number): Promise<void> {
    const url = `http://${address}${body ? "/v2/specialize" : "/specialize"}`;
    const res = await postSpecialize(this.agent, url, body && JSON.stringify(body), timeoutMs, "runtime");
    if (!res) return;
    // The runtime's 4xx means the request/code is wrong; 5xx means loading the code failed.
    throw new FizzError(
      res.status >= 500 ? "FAILED_PRECONDITION" : "INVALID_ARGUMENT",
      `specialize failed: ${messageOf(res.text) || `runtime answered ${res.status}`}`,
      "SPECIALIZE_FAILED",
    );
  }

  /** GET /healthz within timeoutMs. */
  async healthy(address: string, timeoutMs = 1000): Promise<boolean> {
    try {
      const res = await request(`http://${address}/healthz`, { dispatcher: this.agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function messageOf(text: string): string {
  const t = text.trim();
  try {
    const j = JSON.parse(t) as { error?: unknown; message?: unknown };
    const m = j.error ?? j.message;
    if (typeof m === "string") return m;
    if (m && typeof m === "object" && typeof (m as { message?: unknown }).message === "string") return (m as { message: string }).message;
  } catch {
    /* plain text */
  }
  return t.slice(0, 2000);
}

/**
 * POSTs a specialize call: undefined on a 2xx, the answer otherwise (the caller makes it its error);
 * throws SPECIALIZE_TIMEOUT / SPECIALIZE_FAILED when there is no answer.
 */
export async function postSpecialize(agent: Agent, url: string, body: string | undefined, timeoutMs: number, who: string): Promise<{ status: number; text: string } | undefined> {
  let res;
  try {
    res = await request(url, {
      method: "POST",
      headers: body ? { "content-type": "application/json" } : {},
      body,
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "UND_ERR_HEADERS_TIMEOUT" || e.code === "UND_ERR_BODY_TIMEOUT")
      throw new FizzError("DEADLINE_EXCEEDED", `specialize failed: ${who} did not answer within ${timeoutMs} ms`, "SPECIALIZE_TIMEOUT");
    throw new FizzError("UNAVAILABLE", `specialize failed: ${e.message}`, "SPECIALIZE_FAILED");
  }
  const text = await res.body.text();
  return res.statusCode >= 200 && res.statusCode < 300 ? undefined : { status: res.statusCode, text };
}
