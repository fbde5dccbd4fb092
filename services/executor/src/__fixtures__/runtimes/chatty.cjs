// Announces itself on stdout only (no IPC message), then writes a lot of output.
const http = require("node:http");
const s = http.createServer((_, res) => res.end("OK")).listen(0, "127.0.0.1", () => {
  process.stdout.write(`fizz-runtime listening on 127.0.0.1:${s.address().port}\n`);
  const line = "x".repeat(1023) + "\n";
  for (let i = 0; i < 200; i++) process.stdout.write(line);
});
