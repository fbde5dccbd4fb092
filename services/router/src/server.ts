import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Proxy } from "./proxy.js";
import { sendError } from "./errors.js";

export interface ServerOptions {
  proxy: Proxy;
  maxBodyBytes: number;
  /** True once the route table reflects the controller's state. */
  ready: () => boolean;
  /** Route table and cache for /_fizz/routes. */
  debug: () => unknown;
}

/**
 * The fastify front: it keeps /healthz and /_fizz/routes; every other request goes to the proxy,
 * which matches it in the runtime route table (fastify's router cannot change at runtime).
 * Bodies are never parsed: the raw request stream goes upstream as it arrives.
 */
export function buildServer(o: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.maxBodyBytes,
    // Functions may run for minutes; their own functionTimeout governs.
    requestTimeout: 0,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, _payload, done) => done(null));

  app.get("/healthz", async (_req, reply) => {
    if (o.ready()) return { status: "ok" };
    return reply.code(503).send({ status: "starting" });
  });
  app.get("/_fizz/routes", async () => o.debug());

  const forward = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const res = reply.raw;
    o.proxy.handle(request.raw, res).catch((err: Error) => sendError(res, 500, "INTERNAL", err.message));
  };
  app.all("/*", forward);
  app.all("/", forward);
  app.setNotFoundHandler(forward);
  return app;
}
