// The fetcher sidecar of a runtime pod, over HTTP: GET /healthz, POST /specialize (see
// specializer.ts). With FIZZ_SPECIALIZE_ON_STARTUP it specializes once at start, retrying with
// back-off (the runtime container may not be listening yet, storage may be briefly away), and
// /healthz answers 503 until that succeeded, so a newdeploy pod is Ready only once specialized.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FizzError, silentLogger, toFizzError, type Logger, type Service } from "@fizz/common";
import { storageClient, type StorageClient } from "@fizz/clients";
import type { FetcherConfig } from "./config.js";
import { parseSpecializeRequest, toRequest } from "./request.js";
import { Specializer } from "./specializer.js";

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

export class Fetcher implements Service {
  private server?: Server;
  private storage?: StorageClient;
  private readonly specializer: Specializer;
  /** Why the startup specialization has not succeeded yet (for /healthz). */
  private startupError?: string;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly c: FetcherConfig,
    private readonly log: Logger = silentLogger,
  ) {
    this.specializer = new Specializer(c, () => (this.storage ??= storageClient(c.storage)), log);
  }

  get address(): string | undefined {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}` : undefined;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(this.c.port, this.c.host, resolve));
    this.server = server;
    this.log.info({ address: this.address, userfuncDir: this.c.userfuncDir, runtime: this.c.runtimeAddress }, "fetcher listening");
    if (this.c.specializeOnStartup) this.specializeOnStartup(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => (s.close(() => resolve()), s.closeAllConnections()));
    await this.specializer.close();
    this.storage?.close();
  }

  private specializeOnStartup(attempt: number): void {
    const req = toRequest(this.c.specializeOnStartup!);
    this.specializer.specialize(req).then(
      () => (this.startupError = undefined),
      (err: unknown) => {
        this.startupError = toFizzError(err).message;
        if (this.stopped) return;
        const delay = Math.min(RETRY_MIN_MS * 2 ** attempt, RETRY_MAX_MS);
        this.log.warn({ err, attempt, retryInMs: delay }, "startup specialization failed; retrying");
        this.retry = setTimeout(() => this.specializeOnStartup(attempt + 1), delay);
      },
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    try {
      if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) return this.healthz(res);
      if (path === "/specialize") {
        if (req.method !== "POST") throw new FizzError("INVALID_ARGUMENT", "use POST /specialize", "METHOD_NOT_ALLOWED");
        const r = parseSpecializeRequest(await readJson(req, this.bodyLimit()));
        await this.specializer.specialize(r);
        return send(res, 200, { ok: true });
      }
      throw new FizzError("NOT_FOUND", `no such endpoint: ${req.method} ${path} (the fetcher serves GET /healthz and POST /specialize)`);
    } catch (err) {
      const e = toFizzError(err);
      send(res, e.httpStatus, { code: e.code, ...(e.reason ? { reason: e.reason } : {}), message: e.message });
    }
  }

  private healthz(res: ServerResponse): void {
    if (this.c.specializeOnStartup && this.specializer.state !== "specialized")
      return send(res, 503, { code: "UNAVAILABLE", message: `not specialized yet${this.startupError ? `: ${this.startupError}` : ""}` });
    send(res, 200, { ok: true, state: this.specializer.state });
  }

  // A literal archive travels base64-encoded inside the Package JSON.
  private bodyLimit(): number {
    return Math.ceil(this.c.maxArchiveBytes * 1.4) + 1024 * 1024;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new FizzError("RESOURCE_EXHAUSTED", `specialize request body is larger than ${limit} bytes`);
    parts.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString("utf8")) as unknown;
  } catch (err) {
    throw new FizzError("INVALID_ARGUMENT", `specialize request body is not JSON: ${(err as Error).message}`);
  }
}
