// The built-in python and exec runtimes started the way the executor starts every runtime
// (fork with an IPC channel, clean environment), and a python runtime whose interpreter is missing.
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FizzError, silentLogger } from "@fizz/common";
import { builtinRuntimes, configSchema } from "../config.js";
import { LogStore } from "../logs/log-store.js";
import { ProcessBackend } from "./process-backend.js";

jest.setTimeout(60_000);

const spec = (image: string) => ({ environment: "default/rt", image, env: {}, graceMs: 1000 });
let stateDir: string;
let logs: LogStore;
const backends: ProcessBackend[] = [];

function backend(python?: string): ProcessBackend {
  const b = new ProcessBackend(
    { stateDir: join(stateDir, String(backends.length)), runtimes: builtinRuntimes(python), startTimeoutMs: 20_000, logs, defaultGraceMs: 1000 },
    silentLogger,
  );
  backends.push(b);
  return b;
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "fizz-runtimes-"));
  logs = new LogStore({ dir: join(stateDir, "logs"), maxBytes: 1024 * 1024 });
});

afterAll(async () => {
  await Promise.all(backends.map((b) => b.stopAll(0)));
  await logs.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("built-in python and exec runtimes", () => {
  it.each(["python", "fission/python-env:latest", "exec", "fission/binary-env"])("starts image %s, serves /healthz, and stops", async (image) => {
    const b = backend();
    const inst = await b.start(spec(image));
    expect(await (await fetch(`http://${inst.address}/healthz`)).text()).toBe("OK");
    await b.stop(inst.id, 2000);
    expect(b.isAlive(inst.id)).toBe(false);
  });

  it("says which interpreter is missing when python3 is not installed", async () => {
    const err = await backend("/nonexistent/python3")
      .start(spec("python"))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FizzError);
    expect((err as FizzError).message).toBe(
      "runtime for default/rt failed to start: /nonexistent/python3 not found: the python runtime needs Python 3 (install python3, or set FIZZ_PYTHON to an interpreter's path)",
    );
  });

  it("takes the interpreter from FIZZ_PYTHON", () => {
    const cfg = configSchema.parse({ FIZZ_PYTHON: "/opt/py/bin/python3.12" });
    expect(cfg.runtimes.python).toMatchObject({ execPath: "/opt/py/bin/python3.12" });
    expect(configSchema.parse({}).runtimes.python?.execPath).toBe("python3");
  });
});
