// The runtime process: a generic, warm server that the executor spawns and later specializes.
// Env: PORT (8888; 0 = ephemeral), HOST (127.0.0.1), FIZZ_USERFUNC_DIR (/userfunc),
// FIZZ_MAX_BODY_BYTES (10 MiB), FIZZ_SHUTDOWN_GRACE_MS (3000).
// Only node built-ins are imported, so the process listens in a few tens of milliseconds.
import { createRuntimeServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_USERFUNC_DIR } from "./server.js";
import { intEnv, serveRuntime } from "./lifecycle.js";
import { logError } from "./respond.js";
import { prewarm } from "./prewarm.js";

const parent = process.ppid; // read first thing: a parent that dies during startup is still noticed

// User code's stray async errors must not take the runtime down (process.exit() still does).
process.on("uncaughtException", (err) => logError("uncaught exception", err));
process.on("unhandledRejection", (reason) => logError("unhandled rejection", reason));

const runtime = createRuntimeServer({
  userFuncDir: process.env["FIZZ_USERFUNC_DIR"] || DEFAULT_USERFUNC_DIR,
  maxBodyBytes: intEnv("FIZZ_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
});

serveRuntime(runtime, {
  port: intEnv("PORT", 8888),
  host: process.env["HOST"] || "127.0.0.1",
  graceMs: intEnv("FIZZ_SHUTDOWN_GRACE_MS", 3_000),
  parent,
  onReady: prewarm,
});
