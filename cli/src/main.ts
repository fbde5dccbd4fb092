#!/usr/bin/env node
// The `fizz` command. Heavy modules (grpc-js, undici, the archive library) are loaded by the
// commands that need them, so `fizz --help` stays fast.
import { buildProgram } from "./program.js";

// `pnpm fizz …` runs us from the repository root; resolve the user's paths (--code ./x.js)
// against the directory they typed the command in.
if (process.env.npm_lifecycle_event === "fizz" && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

await buildProgram().parseAsync(process.argv);
