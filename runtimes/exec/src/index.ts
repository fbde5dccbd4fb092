export { createExecServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from "./server.js";
export type { ExecServer, ExecServerOptions } from "./server.js";
export { parseOutput, type CgiOutput } from "./cgi.js";
export { LoadError, resolveProgram, type Program } from "./entry.js";
export { baseEnv, requestEnv, runProgram, type RunRequest, type RunResult } from "./run.js";
