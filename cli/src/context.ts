// What every command shares: the global flags, a lazily created admin client (grpc-js is only
// loaded by commands that talk to the platform) and the wrapper that turns errors into exit codes.
import type { Command } from "commander";
import type { AdminClient, StorageClient } from "@fizz/clients";
import { serviceAddress } from "@fizz/common/ports";
import { reportError, usage } from "./errors.js";

export type OutputFormat = "table" | "json" | "yaml";

export interface Globals {
  output: OutputFormat;
  namespace: string;
}

export function globals(cmd: Command, outputIsFile = false): Globals {
  const o = cmd.optsWithGlobals() as { output?: string; namespace?: string };
  if (outputIsFile) return { output: "table", namespace: o.namespace || "default" };
  const output = (o.output ?? "table").toLowerCase();
  if (output !== "table" && output !== "json" && output !== "yaml" && output !== "wide")
    throw usage(`--output must be table, json or yaml, not "${o.output}"`);
  return { output: output === "wide" ? "table" : output, namespace: o.namespace || "default" };
}

let admin: AdminClient | undefined;
let storage: StorageClient | undefined;

/** The admin client for FIZZ_ADMIN (or 127.0.0.1:9090). */
export async function adminApi(address = serviceAddress("controller")): Promise<AdminClient> {
  if (!admin || admin.target !== address) {
    const { adminClient } = await import("@fizz/clients");
    admin?.close();
    admin = adminClient(address);
  }
  return admin;
}

export async function storageApi(address = serviceAddress("storage")): Promise<StorageClient> {
  if (!storage || storage.target !== address) {
    const { storageClient } = await import("@fizz/clients");
    storage?.close();
    storage = storageClient(address);
  }
  return storage;
}

export function closeClients(): void {
  admin?.close();
  storage?.close();
  admin = storage = undefined;
}

/**
 * For commands where `-o/--output` names a file (getsrc, getdeploy, as in Fission): the value
 * the user gave, or undefined. The global option takes it wherever it stands on the line.
 */
export function outputFile(cmd: Command): string | undefined {
  let root = cmd;
  while (root.parent) root = root.parent;
  if (root.getOptionValueSource("output") === "default") return undefined;
  return (root.opts() as { output?: string }).output;
}

/** Wraps a commander action: errors become one line on stderr and exit code 1. */
export function run<O>(fn: (opts: O, g: Globals, cmd: Command) => Promise<void>, o: { outputIsFile?: boolean } = {}) {
  return async (opts: O, cmd: Command): Promise<void> => {
    try {
      await fn(opts, globals(cmd, o.outputIsFile), cmd);
    } catch (err) {
      reportError(err);
    } finally {
      closeClients();
    }
  };
}

/** Writes to stdout (a trailing newline is added when missing). */
export function say(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}
