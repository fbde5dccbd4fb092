// The runtime process: a generic, warm server that the executor spawns and later specializes.
// Env: PORT (8888; 0 = ephemeral), HOST (127.0.0.1), FIZZ_USERFUNC_DIR (/userfunc),
// FIZZ_MAX_BODY_BYTES (10 MiB), FIZZ_SHUTDOWN_GRACE_MS (3000).
// Only node built-ins are imported, so the process listens in a few tens of milliseconds.
import { createRuntimeServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_USERFUNC_DIR } from "./server.js";
import { logError } from "./respond.js";
import { prewarm } from "./prewarm.js";

function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`fizz-runtime: ${name} must be a non-negative integer, got "${v}"\n`);
    process.exit(2);
  }
  return n;
}

const port = intEnv("PORT", 8888);
const host = process.env["HOST"] || "127.0.0.1";
const graceMs = intEnv("FIZZ_SHUTDOWN_GRACE_MS", 3_000);
const parent = process.ppid; // read first thing: a parent that dies during startup is still noticed

// User code's stray async errors must not take the runtime down (process.exit() still does).
process.on("uncaughtException", (err) => logError("uncaught exception", err));
process.on("unhandledRejection", (reason) => logError("unhandled rejection", reason));

const runtime = createRuntimeServer({
  userFuncDir: process.env["FIZZ_USERFUNC_DIR"] || DEFAULT_USERFUNC_DIR,
  maxBodyBytes: intEnv("FIZZ_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
});

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), graceMs + 1_000).unref();
  void runtime.close(graceMs).then(() => process.exit(code));
}

runtime.listen(port, host).then(
  (addr) => {
    const shown = host.includes(":") ? `[${host}]` : host;
    process.stdout.write(`fizz-runtime listening on ${shown}:${addr.port}\n`);
    if (process.send) {
      process.send({ ready: true, port: addr.port, address: `${shown}:${addr.port}` });
      process.once("disconnect", () => shutdown(0));
    } else {
      setInterval(() => {
        if (process.ppid !== parent) shutdown(0);
      }, 1_000).unref();
    }
    setImmediate(prewarm);
  },
  (err: unknown) => {
    logError(`cannot listen on ${host}:${port}`, err);
    process.exit(1);
  },
);

process.once("SIGTERM", () => shutdown(0));
process.once("SIGINT", () => shutdown(0));
