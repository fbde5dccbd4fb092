// Runs the services as child processes (fork with IPC): starts one, waits for its
// {ready, address}, stops them all with SIGTERM then SIGKILL, and notices unexpected exits.
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { NODE_ARGS, type ServiceName } from "@fizz/common";
import { parseLogLine, prefixed } from "./logs.js";

export interface Started {
  address: string;
  /** Its /metrics listener, when it runs one apart from its main port (gRPC services). */
  metrics?: string;
  ms: number;
}

interface Child {
  svc: string;
  proc: ChildProcess;
  ready: boolean;
  exited: Promise<void>;
  /** Recent problems and lines, to explain a failed start. */
  problems: string[];
  tail: string[];
}

export class StartError extends Error {
  constructor(
    readonly svc: string,
    message: string,
  ) {
    super(message);
  }
}

export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;
  /** Called when a service that was ready exits while we are not stopping. */
  onUnexpectedExit?: (svc: string, why: string) => void;

  constructor(
    private readonly mainOf: (svc: string) => string,
    private readonly log: (line: string) => void,
    private readonly readyTimeoutMs = 30_000,
  ) {}

  /** Starts a service and resolves with the address it reports. */
  start(svc: string, env: NodeJS.ProcessEnv): Promise<Started> {
    const main = this.mainOf(svc);
    if (!existsSync(main)) return Promise.reject(new StartError(svc, `${main} is missing; build it first with 'pnpm build'`));
    const began = Date.now();
    const execArgv = [...(NODE_ARGS[svc as ServiceName] ?? [])];
    const proc = fork(main, [], { env, stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv });
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    const child: Child = { svc, proc, ready: false, exited, problems: [], tail: [] };
    this.children.push(child);
    for (const stream of [proc.stdout, proc.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
        const l = parseLogLine(line);
        this.log(prefixed(svc, l.text));
        if (l.problem) child.problems.push(l.problem);
        else if (l.level === undefined && line.startsWith(`${svc}: `)) child.problems.push(line.slice(svc.length + 2));
        child.tail.push(l.text);
        if (child.tail.length > 20) child.tail.shift();
      });
    }
    proc.once("exit", (code, signal) => {
      if (child.ready && !this.stopping) this.onUnexpectedExit?.(svc, signal ? `killed by ${signal}` : `exit code ${code}`);
    });
    return new Promise<Started>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new StartError(svc, `did not report ready within ${this.readyTimeoutMs / 1000} s`));
      }, this.readyTimeoutMs);
      const onMessage = (m: unknown) => {
        const msg = m as { ready?: unknown; address?: unknown; metrics?: unknown } | null;
        if (msg && msg.ready === svc && typeof msg.address === "string") {
          cleanup();
          child.ready = true;
          resolve({ address: msg.address, ...(typeof msg.metrics === "string" ? { metrics: msg.metrics } : {}), ms: Date.now() - began });
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        // Output may still be in the pipes; give readline a moment to deliver it.
        setTimeout(() => {
          const why = child.problems.at(-1) ?? child.tail.at(-1) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
          reject(new StartError(svc, `exited before it was ready (${signal ?? `code ${code}`}): ${why}`));
        }, 50);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(new StartError(svc, err.message));
      };
      const cleanup = () => {
        clearTimeout(timer);
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        proc.off("error", onError);
      };
      proc.on("message", onMessage);
      proc.once("exit", onExit);
      proc.once("error", onError);
    });
  }

  /** SIGTERM to every child still running; SIGKILL (with its descendants) after graceMs. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const running = this.children.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null);
    for (const c of running) c.proc.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), graceMs)));
    const all = Promise.all(running.map((c) => c.exited)).then(() => "done" as const);
    if ((await Promise.race([all, timeout])) === "timeout") {
      for (const c of running) {
        if (c.proc.exitCode !== null || c.proc.signalCode !== null || c.proc.pid === undefined) continue;
        this.log(`fizz: ${c.svc} did not stop within ${graceMs / 1000} s; killing it`);
        // Its own children (runtime instances) would be orphaned by a SIGKILL: take them too.
        for (const pid of [c.proc.pid, ...descendants(c.proc.pid)]) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
      await all;
    }
    clearTimeout(timer);
  }

  get pids(): number[] {
    return this.children.flatMap((c) => (c.proc.pid ? [c.proc.pid] : []));
  }
}

/** Every process below pid (Linux /proc; empty elsewhere). */
export function descendants(pid: number): number[] {
  const kids = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const d of entries) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of kids.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}
