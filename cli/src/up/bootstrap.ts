// What a fresh `fizz up` adds: the built-in nodejs and python environments and the example
// function. All are created only when missing, so a restart never clobbers what the user changed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSchema } from "@fizz/proto";
import type { AdminClient } from "@fizz/clients";
import { wrap } from "@fizz/clients/resources";
import type { Uploader } from "../code.js";
import { createFunction } from "../deploy.js";
import { codeOf } from "../errors.js";
import { findResource } from "../resources.js";

export const BUILTIN_ENV = { name: "nodejs", image: "nodejs", poolsize: 3 };
// A pool of one: an idle python3 costs more memory than a node runtime, and most machines run
// fewer Python functions. Created only where the interpreter the executor will use exists.
export const PYTHON_ENV = { name: "python", image: "python", poolsize: 1 };

const python = () => process.env.FIZZ_PYTHON || "python3";
const pythonInstalled = () => spawnSync(python(), ["--version"], { stdio: "ignore" }).status === 0;

export const EXAMPLE = { name: "hello", url: "/hello" };

/** Creates what is missing; returns one line per thing done. */
export async function bootstrap(api: AdminClient, opts: { example: string | false; upload: Uploader; namespace?: string }): Promise<string[]> {
  const ns = opts.namespace ?? "default";
  const done: string[] = [];
  for (const builtin of [BUILTIN_ENV, PYTHON_ENV]) {
    if (await findResource(api, "environment", ns, builtin.name)) continue;
    if (builtin === PYTHON_ENV && !pythonInstalled()) {
      done.push(`${python()} not found: built-in environment '${PYTHON_ENV.name}' not created`);
      continue;
    }
    const env = create(EnvironmentSchema, {
      metadata: { name: builtin.name, namespace: ns },
      spec: { runtime: { image: builtin.image }, poolsize: builtin.poolsize },
    });
    try {
      await api.create({ resource: wrap(env) });
      done.push(`environment '${builtin.name}' created`);
    } catch (err) {
      if (codeOf(err) !== "ALREADY_EXISTS") throw err;
    }
  }
  if (opts.example === false) return done;
  if (!existsSync(opts.example)) return [...done, `example ${opts.example} not found; skipped`];
  if (await findResource(api, "function", ns, EXAMPLE.name)) return done;
  await createFunction(
    api,
    { name: EXAMPLE.name, namespace: ns, env: BUILTIN_ENV.name, code: opts.example, url: EXAMPLE.url, methods: ["GET"] },
    opts.upload,
  );
  done.push(`example function '${EXAMPLE.name}' deployed at GET ${EXAMPLE.url}`);
  return done;
}
