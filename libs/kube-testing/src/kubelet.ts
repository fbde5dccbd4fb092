// The kubelet a real cluster runs on each node, for one "node" of local processes: every Pod gets
// its own loopback IP (127.B.0.N, B per cluster) as status.podIP, its containers run as local commands chosen by
// image (each in its own process group, env HOST=<podIP>), emptyDir volumes are temp dirs, HTTP
// readiness probes decide the Ready condition, an exited container is restarted (restartPolicy
// Always) with restartCount++, and a deleted pod's processes get SIGTERM, then SIGKILL after its
// terminationGracePeriodSeconds.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { addressOf, KubeError, type KubeObject, type ObjectStore } from "./objects.js";
import { PODS } from "./deployments.js";
import type { LogChunk, LogStreamName, PodLogFeed } from "./pod-logs.js";

/** The local command an image runs as. */
export interface ImageCommand {
  command: string;
  args?: string[];
  cwd?: string;
}

interface ContainerSpec {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path?: string; port: number | string; host?: string }; timeoutSeconds?: number };
}

interface PodSpec {
  containers?: ContainerSpec[];
  volumes?: { name: string; emptyDir?: unknown }[];
  terminationGracePeriodSeconds?: number;
}

interface Container {
  spec: ContainerSpec;
  proc?: ChildProcess;
  exited?: Promise<void>;
  restartCount: number;
  ready: boolean;
  startedAt?: string;
  waiting?: string;
  lastExit?: { exitCode: number; signal?: number; finishedAt: string };
  logs: LogChunk[];
  logBytes: number;
  /** pods/log followers. */
  logListeners: Set<(c: LogChunk) => void>;
}

interface Pod {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  dir: string;
  spec: PodSpec;
  containers: Map<string, Container>;
  startTime: string;
  deleted: boolean;
  /** Set once the pod is being killed: every caller awaits the same exit. */
  killed?: Promise<void>;
  /** Resolved when the pod's processes are all gone. */
  gone: { promise: Promise<void>; resolve: () => void };
  probeTimer?: NodeJS.Timeout;
  /** Last Ready value written, and when it flipped (conditions' lastTransitionTime). */
  readySince: { ready: boolean; at: string };
}

export interface KubeletOptions {
  images: Record<string, ImageCommand>;
  stateDir: string;
  /** How often readiness probes run (default 200 ms; the pods' periodSeconds is not waited for). */
  probeIntervalMs: number;
  /** Pod IPs are 127.<octet>.0.2 …, 127.<octet>.2.x … (127.<octet>.1.x is the Services'). */
  octet: number;
}

const LOG_CAP = 1024 * 1024;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

export class Kubelet {
  private readonly pods = new Map<string, Pod>();
  private readonly freeIps: string[] = [];
  private nextIp = 0;
  private stopping = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly o: KubeletOptions,
  ) {}

  /** Starts pods new to the store and kills the ones gone from it. */
  reconcile(): void {
    if (this.stopping) return;
    const stored = new Map(this.store.list(PODS, undefined).map((p) => [String(p.metadata?.uid), p]));
    for (const [uid, pod] of this.pods) if (!stored.has(uid)) void this.kill(pod);
    for (const [uid, obj] of stored) if (!this.pods.has(uid)) this.start(uid, obj);
  }

  /** Kills a container's process (as if it crashed); the kubelet restarts it. */
  crash(namespace: string, name: string, container: string): void {
    const c = this.container(namespace, name, container);
    if (!c.proc?.pid) throw new Error(`container ${container} of pod ${namespace}/${name} is not running`);
    process.kill(-c.proc.pid, "SIGKILL");
  }

  logs(namespace: string, name: string, container: string): string {
    return this.container(namespace, name, container).logs.map((c) => c.text).join("");
  }

  /** The pods/log subresource's view of a container: 404 for an unknown pod, 400 for a bad container. */
  logFeed(namespace: string, name: string, container: string | undefined): PodLogFeed {
    const pod = [...this.pods.values()].find((p) => p.namespace === namespace && p.name === name);
    const stored = this.store.list(PODS, namespace).find((p) => p.metadata?.name === name);
    if (!stored) throw new KubeError(404, "NotFound", `pods "${name}" not found`);
    const names = ((stored.spec as PodSpec | undefined)?.containers ?? []).map((c) => c.name);
    if (container === undefined && names.length !== 1)
      throw new KubeError(400, "BadRequest", `a container name must be specified for pod ${name}, choose one of: [${names.join(" ")}]`);
    const cname = container ?? names[0]!;
    if (!names.includes(cname)) throw new KubeError(400, "BadRequest", `container ${cname} is not valid for pod ${name}`);
    const c = pod?.containers.get(cname);
    // Stored but not started by this kubelet yet.
    if (!pod || !c) throw new KubeError(400, "BadRequest", `container "${cname}" in pod "${name}" is waiting to start: ContainerCreating`);
    return {
      chunks: c.logs,
      subscribe: (l) => (c.logListeners.add(l), () => c.logListeners.delete(l)),
      gone: pod.gone.promise,
    };
  }

  pid(namespace: string, name: string, container: string): number | undefined {
    return this.container(namespace, name, container).proc?.pid;
  }

  /** Resolves once no process of the named pod runs any more (at once when none does). */
  terminated(namespace: string, name: string): Promise<void> {
    const pods = [...this.pods.values()].filter((p) => p.namespace === namespace && p.name === name);
    return Promise.all(pods.map((p) => p.gone.promise)).then(() => undefined);
  }

  /** Kills every pod (grace capped at graceCapMs) and waits for all processes to exit. */
  async stop(graceCapMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.pods.values()].map((p) => this.kill(p, graceCapMs)));
  }

  private container(namespace: string, name: string, container: string): Container {
    const pod = [...this.pods.values()].find((p) => p.namespace === namespace && p.name === name);
    const c = pod?.containers.get(container);
    if (!c) throw new Error(`no container ${container} in pod ${namespace}/${name}`);
    return c;
  }

  private start(uid: string, obj: KubeObject): void {
    const { namespace = "", name = "" } = obj.metadata ?? {};
    const spec = (obj.spec ?? {}) as PodSpec;
    const ip = this.allocateIp(); // fresh IPs first: a stale client must not reach a newer pod
    const dir = join(this.o.stateDir, "pods", `${namespace}_${name}_${uid.slice(0, 8)}`);
    const pod: Pod = { uid, namespace, name, ip, dir, spec, containers: new Map(), startTime: now(), deleted: false, gone: resolvable(), readySince: { ready: false, at: now() } };
    this.pods.set(uid, pod);
    for (const v of spec.volumes ?? []) mkdirSync(join(dir, "volumes", v.name), { recursive: true });
    for (const s of spec.containers ?? []) {
      const c: Container = { spec: s, restartCount: 0, ready: false, logs: [], logBytes: 0, logListeners: new Set() };
      pod.containers.set(s.name, c);
      this.run(pod, c);
    }
    pod.probeTimer = setInterval(() => void this.probe(pod), this.o.probeIntervalMs);
    this.writeStatus(pod);
  }

  // 127.B.0.2 … 127.B.0.254, then 127.B.2.x …; 127.B.1.x is the Services' range. Freed IPs are
  // reused only once the ranges run out.
  private allocateIp(): string {
    const i = this.nextIp++;
    const block = Math.floor(i / 253);
    const third = block === 0 ? 0 : block + 1;
    if (third > 255) {
      const reused = this.freeIps.shift();
      if (!reused) throw new Error("FakeCluster: out of loopback pod IPs");
      return reused;
    }
    return `127.${this.o.octet}.${third}.${(i % 253) + 2}`;
  }

  private run(pod: Pod, c: Container): void {
    const image = imageName(c.spec.image ?? "");
    const cmd = this.o.images[image];
    if (!cmd) {
      c.waiting = "ErrImagePull";
      this.log(c, "stderr", `FakeCluster: no local command for image "${c.spec.image}" (known: ${Object.keys(this.o.images).join(", ")})\n`);
      return;
    }
    const proc = spawn(cmd.command, cmd.args ?? [], { env: this.envOf(pod, c.spec), cwd: cmd.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    c.proc = proc;
    c.startedAt = now();
    c.waiting = undefined;
    proc.stdout!.on("data", (d: Buffer) => this.log(c, "stdout", d.toString("utf8")));
    proc.stderr!.on("data", (d: Buffer) => this.log(c, "stderr", d.toString("utf8")));
    proc.on("error", (err) => this.log(c, "stderr", `FakeCluster: cannot start ${cmd.command}: ${err.message}\n`));
    c.exited = new Promise((resolve) =>
      proc.once("close", (code, signal) => {
        c.proc = undefined;
        c.ready = false;
        // As a container runtime reports it: killed by a signal is exit code 128 + signal number.
        const signo = signal ? osConstants.signals[signal] : undefined;
        c.lastExit = { exitCode: code ?? 128 + (signo ?? 0), ...(signo ? { signal: signo } : {}), finishedAt: now() };
        resolve();
        if (pod.deleted || this.stopping) return;
        // restartPolicy Always, with a short back-off (the real one starts at 10 s).
        c.restartCount++;
        c.waiting = "CrashLoopBackOff";
        this.writeStatus(pod);
        setTimeout(() => !pod.deleted && !this.stopping && (this.run(pod, c), this.writeStatus(pod)), Math.min(100 * 2 ** (c.restartCount - 1), 2000)).unref();
      }),
    );
  }

  private envOf(pod: Pod, s: ContainerSpec): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"], HOME: process.env["HOME"] };
    const mounts = (s.volumeMounts ?? []).map((m) => ({ path: m.mountPath.replace(/\/+$/, ""), dir: join(pod.dir, "volumes", m.name) }));
    for (const e of s.env ?? []) {
      let v = e.value ?? this.fieldRef(pod, e.valueFrom?.fieldRef?.fieldPath);
      if (v === undefined) continue;
      // A path inside a mounted volume points into the volume's host directory.
      const m = mounts.find((m) => v === m.path || v!.startsWith(`${m.path}/`));
      if (m) v = m.dir + v.slice(m.path.length);
      env[e.name] = v;
    }
    env["HOST"] = pod.ip;
    return env;
  }

  private fieldRef(pod: Pod, path: string | undefined): string | undefined {
    return { "metadata.name": pod.name, "metadata.namespace": pod.namespace, "metadata.uid": pod.uid, "status.podIP": pod.ip }[path ?? ""];
  }

  private log(c: Container, stream: LogStreamName, text: string): void {
    const chunk = { atMs: Date.now(), stream, text };
    c.logs.push(chunk);
    c.logBytes += text.length;
    while (c.logBytes > LOG_CAP && c.logs.length > 1) c.logBytes -= c.logs.shift()!.text.length;
    for (const l of c.logListeners) l(chunk);
  }

  private async probe(pod: Pod): Promise<void> {
    const results = await Promise.all(
      [...pod.containers.values()].map(async (c) => {
        if (!c.proc) return false;
        const g = c.spec.readinessProbe?.httpGet;
        if (!g) return true;
        const port = typeof g.port === "number" ? g.port : (c.spec.ports?.find((p) => p.name === g.port)?.containerPort ?? Number(g.port));
        return httpOk(g.host || pod.ip, port, g.path ?? "/", (c.spec.readinessProbe?.timeoutSeconds ?? 1) * 1000);
      }),
    );
    if (pod.deleted || this.stopping) return;
    let changed = false;
    [...pod.containers.values()].forEach((c, i) => {
      const ready = results[i]! && !!c.proc;
      if (ready !== c.ready) (c.ready = ready), (changed = true);
    });
    if (changed) this.writeStatus(pod);
  }

  private writeStatus(pod: Pod): void {
    if (pod.deleted || this.stopping) return;
    const cs = [...pod.containers.values()];
    const ready = cs.length > 0 && cs.every((c) => c.ready);
    if (ready !== pod.readySince.ready) pod.readySince = { ready, at: now() };
    const cond = (type: string, ok: boolean, at = pod.startTime) => ({ type, status: ok ? "True" : "False", lastProbeTime: null, lastTransitionTime: at });
    const status = {
      phase: cs.some((c) => c.proc) ? "Running" : "Pending",
      hostIP: "127.0.0.1",
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      startTime: pod.startTime,
      conditions: [cond("Initialized", true), cond("Ready", ready, pod.readySince.at), cond("ContainersReady", ready, pod.readySince.at), cond("PodScheduled", true)],
      containerStatuses: cs.map((c) => ({
        name: c.spec.name,
        image: c.spec.image,
        imageID: "",
        ready: c.ready,
        started: !!c.proc,
        restartCount: c.restartCount,
        state: c.proc ? { running: { startedAt: c.startedAt } } : { waiting: { reason: c.waiting ?? "ContainerCreating" } },
        ...(c.lastExit ? { lastState: { terminated: { ...c.lastExit, reason: c.lastExit.exitCode === 0 ? "Completed" : "Error" } } } : {}),
      })),
    };
    try {
      this.store.replace(addressOf(PODS, pod.namespace, pod.name), { status }, "status");
    } catch {
      /* deleted meanwhile: reconcile() kills it */
    }
  }

  private kill(pod: Pod, graceCapMs = Infinity): Promise<void> {
    return (pod.killed ??= this.terminate(pod, graceCapMs));
  }

  private async terminate(pod: Pod, graceCapMs: number): Promise<void> {
    pod.deleted = true;
    clearInterval(pod.probeTimer);
    const graceMs = Math.min((pod.spec.terminationGracePeriodSeconds ?? 30) * 1000, graceCapMs);
    await Promise.all(
      [...pod.containers.values()].map(async (c) => {
        if (!c.proc?.pid) return;
        const pid = c.proc.pid;
        signalGroup(pid, "SIGTERM");
        const t = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
        await c.exited;
        clearTimeout(t);
        signalGroup(pid, "SIGKILL"); // anything the container left behind in its group
      }),
    );
    this.pods.delete(pod.uid);
    this.freeIps.push(pod.ip);
    rmSync(pod.dir, { recursive: true, force: true });
    pod.gone.resolve();
  }
}

function resolvable(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* the group is gone */
  }
}

/** "registry:5000/fizz/fetcher:dev" → "registry:5000/fizz/fetcher"; digests dropped too. */
export function imageName(image: string): string {
  const noDigest = image.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function httpOk(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 400);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
