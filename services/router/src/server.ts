import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { HEALTHZ_PATH, METRICS_PATH, isRouterControlPath, type ServiceMetrics } from "@fizz/common";
import type { Proxy } from "./proxy.js";
import { sendError } from "./errors.js";
import type { AsyncInvoker } from "./async/invoker.js";
import { INVOKE_MODE_HEADER } from "./async/invocation.js";
import { registerInvocationRoutes } from "./async/routes.js";
import { TRACING } from "@fizz/telemetry";
import { traceRequest } from "./tracing.js";

export interface ServerOptions {
  proxy: Proxy;
  maxBodyBytes: number;
  /** True once the route table reflects the controller's state. */
  ready: () => boolean;
  /** Route table and cache for /_fizz/routes. */
  debug: () => unknown;
  /** Counters for /_fizz/stats (recorded, shipped, droppedRecords, ...). */
  stats?: () => unknown;
  /** Served at GET /metrics; none with FIZZ_METRICS=off (then /metrics is 404). */
  metrics?: ServiceMetrics | undefined;
  /** Async invocations (X-Fizz-Invoke-Mode, /fizz-invocations); the header is ignored without it. */
  invocations?: AsyncInvoker;
}

/**
 * The fastify front: it keeps /healthz and /_fizz/*; every other request goes to the proxy,
 * which matches it in the runtime route table (fastify's router cannot change at runtime).
 * Function traffic skips fastify's request/reply machinery altogether (serverFactory): that
 * per-request work cost about a third of the router's throughput in bench/warm-path.
 * Bodies are never parsed: the raw request stream goes upstream as it arrives.
 */
export function buildServer(o: ServerOptions): FastifyInstance {
  const inv = o.invocations;
  // The one thing async invocation costs a sync request: this header lookup.
  const dispatch = (req: IncomingMessage, res: ServerResponse) =>
    inv && req.headers[INVOKE_MODE_HEADER] !== undefined ? inv.handle(req, res) : o.proxy.handle(req, res);
  const forwardRaw = (req: IncomingMessage, res: ServerResponse) => {
    // Tracing off (the default) costs this one boolean.
    const p = TRACING ? traceRequest(req, res, () => dispatch(req, res)) : dispatch(req, res);
    p.catch((err: Error) => sendError(res, 500, "INTERNAL", err.message));
  };
  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      const server = createServer((req, res) => (isRouterControlPath(req.url ?? "/") ? fastifyHandler(req, res) : forwardRaw(req, res)));
      // Outlive clients' and load balancers' idle keep-alive (commonly 60 s).
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      return server;
    },
    logger: false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.maxBodyBytes,
    // Functions may run for minutes; their own functionTimeout governs.
    requestTimeout: 0,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, _payload, done) => done(null));

  app.get(HEALTHZ_PATH, async (_req, reply) => {
    if (o.ready()) return { status: "ok" };
    return reply.code(503).send({ status: "starting" });
  });
  app.get("/_fizz/routes", async () => o.debug());
  app.get("/_fizz/stats", async () => (o.stats ? o.stats() : {}));
  const metrics = o.metrics;
  if (metrics)
    app.get(METRICS_PATH, async (_req, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.type(contentType).send(body);
    });
  if (inv) registerInvocationRoutes(app, inv);

  // Only /_fizz/* paths fastify does not know reach these.
  const forward = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    forwardRaw(request.raw, reply.raw);
  };
  app.all("/*", forward);
  app.all("/", forward);
  app.setNotFoundHandler(forward);
  return app;
}
