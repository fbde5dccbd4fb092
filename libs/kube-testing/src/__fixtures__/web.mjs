// A tiny "image" for FakeCluster tests: answers who it is, prints what /say asks; /healthz fails while $DATA_DIR/unready exists.
import { createServer } from "node:http";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.DATA_DIR ?? "";
if (dir) mkdirSync(dir, { recursive: true }), writeFileSync(join(dir, "hello"), process.env.POD_NAME ?? "");
const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.writeHead(dir && existsSync(join(dir, "unready")) ? 503 : 200).end();
  // /say?text=…&stream=stderr: prints a line (for pods/log tests).
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname === "/say") return (url.searchParams.get("stream") === "stderr" ? process.stderr : process.stdout).write(`${url.searchParams.get("text")}\n`, () => res.end());
  res.end(JSON.stringify({ pod: process.env.POD_NAME, host: process.env.HOST, dataDir: dir, env: Object.keys(process.env).sort() }));
});
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
