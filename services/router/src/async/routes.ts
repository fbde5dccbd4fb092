// GET /fizz-invocations/<id> and GET /fizz-invocations?function=&namespace=&status=&limit= on the
// router's fastify side (control paths; function traffic never reaches fastify).
import type { FastifyInstance, FastifyReply } from "fastify";
import { INVOCATIONS_PATH, type AsyncInvoker } from "./invoker.js";
import { viewOf } from "./invocation.js";

const MAX_LIMIT = 1000;
const STATUSES = new Set(["queued", "running", "succeeded", "failed"]);

const fail = (reply: FastifyReply, status: number, code: string, error: string, reason?: string) =>
  reply.code(status).send(reason ? { error, code, reason } : { error, code });

export function registerInvocationRoutes(app: FastifyInstance, invoker: AsyncInvoker): void {
  app.get<{ Querystring: Record<string, string | undefined> }>(INVOCATIONS_PATH, async (req, reply) => {
    const q = req.query;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return fail(reply, 400, "INVALID_ARGUMENT", `limit must be a whole number from 1 to ${MAX_LIMIT}, not "${q.limit}"`);
    if (q.status !== undefined && !STATUSES.has(q.status))
      return fail(reply, 400, "INVALID_ARGUMENT", `status must be one of ${[...STATUSES].join(", ")}, not "${q.status}"`);
    try {
      return { invocations: await invoker.list({ function: q.function, namespace: q.namespace, status: q.status, limit }) };
    } catch (err) {
      return fail(reply, 503, "UNAVAILABLE", `cannot read async invocations: ${(err as Error).message}`);
    }
  });

  app.get<{ Params: { id: string } }>(`${INVOCATIONS_PATH}/:id`, async (req, reply) => {
    let inv;
    try {
      inv = await invoker.get(req.params.id);
    } catch (err) {
      return fail(reply, 503, "UNAVAILABLE", `cannot read async invocation "${req.params.id}": ${(err as Error).message}`);
    }
    if (!inv) return fail(reply, 404, "NOT_FOUND", `no async invocation "${req.params.id}" (finished ones are kept for a limited time)`, "INVOCATION_NOT_FOUND");
    return viewOf(inv);
  });
}
