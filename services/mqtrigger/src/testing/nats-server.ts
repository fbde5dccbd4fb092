// A real nats-server (Debian package) with JetStream on a random port and a temp store dir, for
// tests and benchmarks (@fizz/mqtrigger/testing/nats-server): started and stopped by the caller.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, headers, type Subscription } from "nats";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface NatsServer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), "fizz-nats-"));
  // -p -1: a random free port, reported in the log.
  const proc = spawn("nats-server", ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", "-1"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 20_000);
    proc.stderr!.on("data", (d) => {
      log += d;
      const m = /Listening for client connections on (\S+:\d+)/.exec(log);
      if (m && log.includes("Server is ready")) {
        clearTimeout(timer);
        resolve(`nats://${m[1]}`);
      }
    });
    proc.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run nats-server (apt-get install nats-server): ${err.message}`));
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    proc,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Received {
  data: string;
  /** Lower-cased names, first value of each. */
  headers: Record<string, string>;
}

/** A client for tests: publish through JetStream, collect what arrives on a subject. */
export async function natsTestClient(url: string) {
  const nc = await connect({ servers: url });
  const subs: Subscription[] = [];
  return {
    nc,
    async publish(topic: string, data: string, hdrs: Record<string, string> = {}): Promise<void> {
      const h = headers();
      for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
      await nc.jetstream().publish(topic, Buffer.from(data), { headers: h });
    },
    /** Starts collecting what is published to `topic` (call before it can happen). */
    watch(topic: string): Received[] {
      const out: Received[] = [];
      subs.push(
        nc.subscribe(topic, {
          callback: (_err, m) => {
            const hs: Record<string, string> = {};
            if (m.headers) for (const [k, v] of m.headers) hs[k.toLowerCase()] = v[0] ?? "";
            out.push({ data: Buffer.from(m.data).toString(), headers: hs });
          },
        }),
      );
      return out;
    },
    async close(): Promise<void> {
      for (const s of subs) s.unsubscribe();
      await nc.close();
    },
  };
}
