#!/usr/bin/env node
// The `fizz` command. Heavy modules (grpc-js, undici, the archive library) are loaded by the
// commands that need them, so `fizz --help` stays fast.
import { buildProgram } from "./program.js";

await buildProgram().parseAsync(process.argv);
