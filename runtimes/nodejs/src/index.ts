export { createRuntimeServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_USERFUNC_DIR } from "./server.js";
export type { RuntimeServer, RuntimeServerOptions } from "./server.js";
export type { Context, FizzRequest } from "./invoke.js";
export { LoadError, loadFunction, type UserFunction } from "./loader.js";
