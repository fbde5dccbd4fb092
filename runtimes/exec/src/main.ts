// The exec runtime process: a generic, warm server that the executor spawns and later
// specializes with a program. Env: PORT (8888; 0 = ephemeral), HOST (127.0.0.1),
// FIZZ_USERFUNC_DIR (/userfunc), FIZZ_MAX_BODY_BYTES (10 MiB), FIZZ_SHUTDOWN_GRACE_MS (3000),
// FIZZ_EXEC_TIMEOUT_MS (60000), FIZZ_EXEC_MAX_OUTPUT_BYTES (64 MiB).
import { intEnv, serveRuntime } from "@fizz/runtime-nodejs/lifecycle";
import { createExecServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from "./server.js";
import { baseEnv, killGroup, running } from "./run.js";

const parent = process.ppid; // read first thing: a parent that dies during startup is still noticed

const runtime = createExecServer({
  userFuncDir: process.env["FIZZ_USERFUNC_DIR"] || "/userfunc",
  maxBodyBytes: intEnv("FIZZ_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
  timeoutMs: intEnv("FIZZ_EXEC_TIMEOUT_MS", DEFAULT_TIMEOUT_MS),
  maxOutputBytes: intEnv("FIZZ_EXEC_MAX_OUTPUT_BYTES", DEFAULT_MAX_OUTPUT_BYTES),
  env: baseEnv(process.env),
});

// Runs still going when the runtime stops (grace period over) go with it.
process.on("exit", () => running.forEach(killGroup));

serveRuntime(runtime, {
  port: intEnv("PORT", 8888),
  host: process.env["HOST"] || "127.0.0.1",
  graceMs: intEnv("FIZZ_SHUTDOWN_GRACE_MS", 3_000),
  parent,
});
