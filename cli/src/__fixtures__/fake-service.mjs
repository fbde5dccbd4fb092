// A stand-in service for Supervisor tests; FAKE_MODE picks its behaviour.
const mode = process.env.FAKE_MODE ?? "ok";
const name = process.env.FAKE_NAME ?? "fake";
// The node options it was started with follow, so tests see what the supervisor passed.
console.error(JSON.stringify({ level: 30, msg: [`${name} starting`, ...process.execArgv].join(" "), svc: name }));
if (mode === "crash") {
  console.error(JSON.stringify({ level: 60, msg: `${name} failed to start`, err: { message: "listen EADDRINUSE: address already in use 127.0.0.1:1" } }));
  process.stderr.write(`${name}: listen EADDRINUSE: address already in use 127.0.0.1:1\n`);
  process.exit(1);
}
if (mode === "stubborn") process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
else process.on("SIGTERM", () => process.exit(0));
setInterval(() => undefined, 1000);
process.send?.({ ready: name, address: `127.0.0.1:${process.env.FAKE_PORT ?? "1234"}` });
