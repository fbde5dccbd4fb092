// fizz up [--state-dir DIR] [--no-example]: the whole platform on this machine. Services start
// in dependency order, each told the addresses the earlier ones actually bound (so ephemeral
// ports work); Ctrl-C or a dying service stops everything, leaving no process behind.
import type { Command } from "commander";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { METRICS_LISTENERS, SERVICES, metricsAddress, serviceAddress, splitHostPort, type MetricsListenerName, type ServiceName } from "@fizz/common/ports";
import { reportError } from "../errors.js";
import { EXAMPLE_FUNCTION, serviceMain } from "../paths.js";
import { StartError, Supervisor } from "../up/supervisor.js";

/** Start order: each service needs the ones before it. */
export const ORDER: readonly ServiceName[] = ["controller", "storage", "recorder", "builder", "executor", "router", "canary", "timer", "mqtrigger"];

interface Opts {
  stateDir?: string;
  example: boolean;
}

/** A bound address as something a client can dial (0.0.0.0 / :: mean this machine). */
export const dialable = (addr: string) => addr.replace(/^(0\.0\.0\.0|\[::\]|::):/, "127.0.0.1:");

async function up(o: Opts): Promise<number> {
  const stateDir = resolve(o.stateDir || process.env.FIZZ_STATE_DIR || join(homedir(), ".fizz"));
  mkdirSync(stateDir, { recursive: true });
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const sup = new Supervisor(serviceMain, err);
  const upFile = join(stateDir, "up.json");

  let finished: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finished = r));
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("stopping Fizz…\n");
    await sup.stopAll(5000);
    rmSync(upFile, { force: true });
    finished(code);
  };
  const onSignal = () => void shutdown(0);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // Under `pnpm start`, a package manager killed by a supervisor does not pass the signal on:
  // stop with it rather than run on as an orphan.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && void shutdown(0), 1000).unref();
  }
  sup.onUnexpectedExit = (svc, why) => {
    err(`fizz: ${svc} stopped unexpectedly (${why}); stopping the platform`);
    void shutdown(1);
  };

  // Listen addresses from the environment. Port 0 becomes a free port chosen now, so services
  // started early (the recorder replays through the router) know the later ones' addresses.
  const addr = Object.fromEntries(ORDER.map((s) => [s, serviceAddress(s)])) as Record<ServiceName, string>;
  for (const svc of ORDER) addr[svc] = await withConcretePort(addr[svc]);
  // The gRPC services' /metrics listeners (FIZZ_<SVC>_METRICS, else their gRPC port + 100), concrete too.
  const withMetrics = Object.keys(METRICS_LISTENERS) as MetricsListenerName[];
  const metricsAddr: Partial<Record<ServiceName, string>> = {};
  for (const s of withMetrics) metricsAddr[s] = await withConcretePort(metricsAddress(s, { ...process.env, [SERVICES[s].env]: addr[s] }));
  const childEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    FIZZ_STATE_DIR: stateDir,
    ...Object.fromEntries(ORDER.map((s) => [SERVICES[s].env, addr[s]])),
    ...Object.fromEntries(withMetrics.map((s) => [METRICS_LISTENERS[s].env, metricsAddr[s]])),
  });
  for (const svc of ORDER) {
    if (stopping) break;
    try {
      const s = await sup.start(svc, childEnv());
      addr[svc] = dialable(s.address);
      // HTTP services serve /metrics on their own port; the gRPC ones report their listener.
      metricsAddr[svc] = s.metrics ? dialable(s.metrics) : SERVICES[svc].scheme === "http" ? addr[svc] : undefined;
      process.stdout.write(`starting ${svc}… ok (${s.ms} ms) ${addr[svc]}${s.metrics ? ` (metrics ${metricsAddr[svc]})` : ""}\n`);
    } catch (e) {
      if (stopping) break;
      const why = e instanceof StartError ? e.message : (e as Error).message;
      err(`fizz: ${svc} failed to start: ${why}`);
      err(`fizz: stopping the services already started`);
      await shutdown(1);
      return done;
    }
  }
  if (stopping) return done;

  const routerUrl = `http://${addr.router}`;
  try {
    const { adminApi, storageApi } = await import("../context.js");
    const { uploadArchive } = await import("@fizz/clients/storage");
    const { bootstrap } = await import("../up/bootstrap.js");
    const storage = await storageApi(addr.storage);
    const lines = await bootstrap(await adminApi(addr.controller), {
      example: o.example ? EXAMPLE_FUNCTION : false,
      upload: async (data) => (await uploadArchive(storage, data)).id,
    });
    for (const l of lines) process.stdout.write(`${l}\n`);
  } catch (e) {
    err(`fizz: warning: could not set up the built-in environment or example:`);
    reportError(e);
    process.exitCode = undefined;
  }
  if (stopping) return done;
  writeFileSync(
    upFile,
    JSON.stringify({ pid: process.pid, stateDir, router: routerUrl, admin: addr.controller, executor: addr.executor, storage: addr.storage, builder: addr.builder, recorder: addr.recorder, mqtrigger: addr.mqtrigger, canary: addr.canary, metrics: metricsAddr }, null, 2) + "\n",
  );
  process.stdout.write(`Fizz is up. Router: ${routerUrl}  Admin: ${addr.controller}  State: ${stateDir}\n`);
  if (o.example) process.stdout.write(`Try: curl ${routerUrl}/hello    (Ctrl-C stops everything)\n`);
  else process.stdout.write(`Ctrl-C stops everything.\n`);
  return done;
}

export function register(program: Command): void {
  program
    .command("up")
    .description("run the whole platform locally (controller, storage, recorder, builder, executor, router, canary, timer, mqtrigger)")
    .option("--state-dir <dir>", "where resources and archives are kept (default $FIZZ_STATE_DIR or ~/.fizz)")
    .option("--no-example", "do not deploy the example function 'hello'")
    .action(async (o: Opts) => {
      const code = await up(o);
      const { closeClients } = await import("../context.js");
      closeClients();
      process.exit(code);
    });
}

/** host:0 → host:<a port free right now>; other addresses unchanged. */
async function withConcretePort(address: string): Promise<string> {
  const { host, port } = splitHostPort(address);
  if (port !== 0) return address;
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  const free = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `${host.includes(":") ? `[${host}]` : host}:${free}`;
}
