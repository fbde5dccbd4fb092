// The floor for any Node.js proxy on this machine: node:http in, undici Pool out, no routing,
// no cache, no headers added. bench/warm-path runs it beside the router as a second baseline.
// Usage: node bare-proxy.js <upstream host:port>; prints the port it listens on.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

const pool = new Pool(`http://${process.argv[2]}`, { pipelining: 1 });
const server = createServer((req, res) => {
  pool.request({ method: req.method as "GET", path: req.url ?? "/", headers: req.headers, body: req.method === "GET" ? null : req }).then(
    (up) => {
      res.writeHead(up.statusCode, up.headers as Record<string, string>);
      up.body.pipe(res);
    },
    () => {
      res.statusCode = 502;
      res.end();
    },
  );
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => console.log((server.address() as AddressInfo).port));
