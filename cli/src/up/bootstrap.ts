// What a fresh `fizz up` adds: the built-in nodejs environment and the example function. Both
// are created only when missing, so a restart never clobbers what the user changed.
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
export const EXAMPLE = { name: "hello", url: "/hello" };

/** Creates what is missing; returns one line per thing done. */
export async function bootstrap(api: AdminClient, opts: { example: string | false; upload: Uploader; namespace?: string }): Promise<string[]> {
  const ns = opts.namespace ?? "default";
  const done: string[] = [];
  if (!(await findResource(api, "environment", ns, BUILTIN_ENV.name))) {
    const env = create(EnvironmentSchema, {
      metadata: { name: BUILTIN_ENV.name, namespace: ns },
      spec: { runtime: { image: BUILTIN_ENV.image }, poolsize: BUILTIN_ENV.poolsize },
    });
    try {
      await api.create({ resource: wrap(env) });
      done.push(`environment '${BUILTIN_ENV.name}' created`);
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
