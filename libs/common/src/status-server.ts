// The small HTTP endpoint of the services whose work arrives through the controller's watch
// (builder, timer, mqtrigger, canary): /healthz and a few read-only JSON views, on node:http.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { splitHostPort } from "./ports.js";

export interface JsonReply {
  status: number;
  body: unknown;
  /** Set: `body` is a string sent as is with this content type (/metrics), not JSON. */
  contentType?: string;
}

export interface StatusServer {
  /** host:port actually bound. */
  readonly address: string;
  close(): Promise<void>;
}

/** Serves GET `path` → routes[path]() as JSON; anything else is 404/405. Port 0 picks a free port. */
export async function startStatusServer(address: string, routes: Record<string, () => JsonReply | Promise<JsonReply>>): Promise<StatusServer> {
  const { host, port } = splitHostPort(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes[path];
    new Promise<JsonReply>((resolve) =>
      resolve(req.method !== "GET" ? { status: 405, body: { error: "only GET" } } : route ? route() : { status: 404, body: { error: `no route ${path}` } }),
    )
      .catch((err: unknown): JsonReply => ({ status: 500, body: { error: (err as Error).message } }))
      .then((reply) => {
        if (reply.contentType) res.writeHead(reply.status, { "content-type": reply.contentType }).end(String(reply.body));
        else res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return { address: `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections(); // keep-alive clients must not hold the stop up
  return closed;
}
