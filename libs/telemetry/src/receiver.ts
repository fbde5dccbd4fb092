// A small OTLP/HTTP trace receiver for tests: accepts POST /v1/traces in the JSON encoding
// (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) and keeps the spans, flattened, in arrival order.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** The exporting process's service.name. */
  service: string;
  attributes: Record<string, string | number | boolean>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value?: AnyValue };
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  attributes?: KeyValue[];
  status?: { code?: number };
}
interface OtlpTraces {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

function attrs(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value: v } of list ?? []) {
    if (!v) continue;
    const x = v.stringValue ?? v.boolValue ?? v.doubleValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined);
    if (x !== undefined) out[key] = x;
  }
  return out;
}

/** Flattens one OTLP JSON export request; throws on anything that is not one. */
export function spansOf(body: OtlpTraces): ReceivedSpan[] {
  if (!body || typeof body !== "object" || !Array.isArray(body.resourceSpans)) throw new Error("not an OTLP traces request (no resourceSpans)");
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans) {
    const service = String(attrs(rs.resource?.attributes)["service.name"] ?? "");
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        out.push({
          traceId: s.traceId ?? "",
          spanId: s.spanId ?? "",
          parentSpanId: s.parentSpanId ?? "",
          name: s.name ?? "",
          kind: s.kind ?? 0,
          service,
          attributes: attrs(s.attributes),
          status: s.status?.code ?? 0,
        });
  }
  return out;
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Requests refused (wrong path, encoding or body), with the reason; tests assert it stays empty. */
  readonly rejected: string[] = [];
  private readonly server: Server = createServer((req, res) => void this.onRequest(req, res));
  private readonly listeners = new Set<() => void>();

  /** Listens on an ephemeral port; resolves to the base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Resolves with the first non-undefined result of `check` over the spans received so far,
   * re-checked after every export; rejects after `timeoutMs` with what was received.
   */
  waitFor<T>(check: (spans: ReceivedSpan[]) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = () => {
        let r: T | undefined;
        try {
          r = check(this.spans);
        } catch (err) {
          done();
          return reject(err);
        }
        if (r !== undefined) {
          done();
          resolve(r);
        }
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.spans.map((s) => `${s.service}: ${s.name} (${s.traceId.slice(0, 8)})`).join("\n  ");
        reject(new Error(`no matching spans within ${timeoutMs} ms; received:\n  ${seen || "(none)"}\nrejected: ${this.rejected.join("; ") || "none"}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(test);
      };
      this.listeners.add(test);
      test();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const refuse = (status: number, why: string) => {
      this.rejected.push(why);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ error: why }));
    };
    if (req.method !== "POST" || req.url !== "/v1/traces") return refuse(404, `${req.method} ${req.url}: only POST /v1/traces is served`);
    if (!String(req.headers["content-type"]).startsWith("application/json"))
      return refuse(415, `content-type ${req.headers["content-type"]}: only OTLP JSON is decoded (set OTEL_EXPORTER_OTLP_PROTOCOL=http/json)`);
    let spans: ReceivedSpan[];
    try {
      spans = spansOf(JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpTraces);
    } catch (err) {
      return refuse(400, (err as Error).message);
    }
    this.spans.push(...spans);
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
    for (const l of [...this.listeners]) l();
  }
}
