// FunctionLogs on Kubernetes: the runtime container's log of the function's pods (poolmgr pods
// taken for it and newdeploy pods, found by the fizz.dev/function(-namespace) labels), read
// through the pods/log API with timestamps. Nothing is kept here: as on any cluster without a log
// aggregator, a deleted pod's output is gone. The API merges stdout and stderr, so every line is
// reported as stdout; a poolmgr pod's output from before it was taken (the pool's) is left out.
import { PassThrough } from "node:stream";
import { createInterface } from "node:readline";
import { CoreV1Api, Log, Watch, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { FizzError, silentLogger, type Logger } from "@fizz/common";
import { ANNOTATION, LABEL, labelValue, MANAGED_BY } from "../backend/kube/pod-template.js";
import { isStatus } from "../newdeploy/kube.js";
import type { LogFilter, LogRecord } from "./format.js";
import { note, type FunctionLogSource } from "./source.js";

const CONTAINER = "runtime";
/** Lines a follower may fall behind before new ones are dropped (and it is told so). */
const MAX_PENDING = 10_000;
const RETRY_MS = 500;

const split = (key: string): [string, string] => {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
};

/** The label selector of every pod that ran (or runs) the function. */
export function functionPodSelector(fnKey: string): string {
  const [ns, name] = split(fnKey);
  return `${LABEL.managedBy}=${MANAGED_BY},${LABEL.function}=${labelValue(name)},${LABEL.functionNamespace}=${labelValue(ns)}`;
}

/** One line of `timestamps=true` output, `<RFC3339Nano> <text>`; undefined without a valid time. */
export function parsePodLogLine(pod: string, line: string): LogRecord | undefined {
  const sp = line.indexOf(" ");
  const timeMs = Date.parse(sp < 0 ? line : line.slice(0, sp));
  if (Number.isNaN(timeMs)) return undefined;
  return { timeMs, instanceId: pod, stream: "stdout", text: sp < 0 ? "" : line.slice(sp + 1).replace(/\r$/, "") };
}

/** Where a pod's lines for the function start: when it was taken (poolmgr) or its start (newdeploy). */
const claimedAt = (pod: V1Pod) => Number(pod.metadata?.annotations?.[ANNOTATION.claimedAt] ?? 0) || 0;

/** sinceSeconds/tailLines for a request; the exact (ms) time and the global tail are applied here. */
function query(fromMs: number, tail: number | undefined): { sinceSeconds?: number; tailLines?: number } {
  // sinceSeconds has whole-second precision: ask for a bit more and cut precisely.
  if (fromMs > 0) return { sinceSeconds: Math.max(1, Math.ceil((Date.now() - fromMs) / 1000) + 1) };
  return tail ? { tailLines: tail } : {};
}

export class PodLogSource implements FunctionLogSource {
  private readonly core: CoreV1Api;
  private readonly logs: Log;
  private readonly watch: Watch;
  private readonly followers = new Map<string, Set<AbortController>>();

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly log: Logger = silentLogger,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.logs = new Log(kc);
    this.watch = new Watch(kc);
  }

  async read(fnKey: string, filter: LogFilter = {}): Promise<LogRecord[]> {
    return this.readPods((await this.list(fnKey)).items, filter);
  }

  /** @internal What these pods have, merged by time and filtered; a note when that is nothing. */
  async readPods(items: V1Pod[], filter: LogFilter): Promise<LogRecord[]> {
    const lines = (await Promise.all(items.map((p) => this.readPod(p, filter)))).flat();
    // Stable: lines of one pod with the same time keep their order.
    const out = lines.sort((a, b) => a.timeMs - b.timeMs);
    const tail = filter.tail ?? 0;
    if (out.length === 0) return [this.nothing(items.length, filter)];
    return tail > 0 && out.length > tail ? out.slice(-tail) : out;
  }

  async *follow(fnKey: string, filter: LogFilter, signal: AbortSignal): AsyncGenerator<LogRecord> {
    const ac = new AbortController();
    const abort = () => ac.abort();
    signal.addEventListener("abort", abort);
    let set = this.followers.get(fnKey);
    if (!set) this.followers.set(fnKey, (set = new Set()));
    set.add(ac);
    const f = new PodFollower(this, fnKey, filter, ac.signal);
    try {
      yield* f.run();
    } finally {
      ac.abort();
      signal.removeEventListener("abort", abort);
      set.delete(ac);
      if (set.size === 0) this.followers.delete(fnKey);
    }
  }

  /** Pod logs go with the pods (deleted with the function's objects): only followers end here. */
  removeFunction(fnKey: string): Promise<void> {
    for (const ac of this.followers.get(fnKey) ?? []) ac.abort();
    return Promise.resolve();
  }

  endFollowers(): void {
    for (const set of this.followers.values()) for (const ac of set) ac.abort();
  }

  /** @internal */
  async list(fnKey: string): Promise<{ items: V1Pod[]; resourceVersion?: string }> {
    try {
      const l = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: functionPodSelector(fnKey) });
      return { items: l.items, resourceVersion: l.metadata?.resourceVersion };
    } catch (err) {
      throw new FizzError("UNAVAILABLE", `cannot list the pods of function ${fnKey} in namespace ${this.namespace}: ${(err as Error).message}`);
    }
  }

  /** @internal The pod's lines for the function now; none when it has not started or is gone. */
  async readPod(pod: V1Pod, filter: LogFilter): Promise<LogRecord[]> {
    const name = pod.metadata?.name ?? "";
    const from = Math.max(filter.sinceMs ?? 0, claimedAt(pod));
    let text: string;
    try {
      text = await this.core.readNamespacedPodLog({ name, namespace: this.namespace, container: CONTAINER, timestamps: true, ...query(from, filter.tail) });
    } catch (err) {
      // 400: the container has not started yet; 404: the pod went meanwhile.
      if (isStatus(err, 400) || isStatus(err, 404)) return [];
      throw new FizzError("UNAVAILABLE", `cannot read the log of pod ${name}: ${(err as Error).message}`);
    }
    return parseAll(name, text, from);
  }

  /** @internal Follows one pod's log; `onLine` per line, resolves once the stream is open. */
  async followPod(pod: V1Pod, fromMs: number, tail: number | undefined, onLine: (l: LogRecord) => void, onEnd: () => void, signal: AbortSignal): Promise<void> {
    const name = pod.metadata?.name ?? "";
    const out = new PassThrough();
    const rl = createInterface({ input: out });
    rl.on("line", (line) => {
      const r = parsePodLogLine(name, line);
      if (r && r.timeMs >= fromMs) onLine(r);
    });
    rl.once("close", onEnd);
    const ctl = await this.logs.log(this.namespace, name, CONTAINER, out, { follow: true, timestamps: true, ...query(fromMs, tail) }).catch((err: unknown) => {
      rl.close();
      throw err;
    });
    const stop = () => (ctl.abort(), out.end());
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  }

  /** @internal Watches the function's pods from resourceVersion; resolves to a stop function. */
  watchPods(fnKey: string, resourceVersion: string | undefined, onPod: (type: string, pod: V1Pod) => void, onEnd: (err: unknown) => void): Promise<AbortController> {
    return this.watch.watch(`/api/v1/namespaces/${this.namespace}/pods`, { labelSelector: functionPodSelector(fnKey), resourceVersion }, onPod, onEnd);
  }

  get logger(): Logger {
    return this.log;
  }

  private nothing(pods: number, filter: LogFilter): LogRecord {
    const where = pods === 0 ? "no pod of this function exists now" : `nothing in the log of its ${pods} pod${pods > 1 ? "s" : ""}${filter.sinceMs || filter.tail ? " in that range" : ""}`;
    return note(`${where}; on Kubernetes a pod's output goes with the pod: logs of deleted pods are gone (kept only by a cluster log aggregator)`);
  }
}

function parseAll(pod: string, text: string, fromMs: number): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of text.split("\n")) {
    const r = line ? parsePodLogLine(pod, line) : undefined;
    if (r && r.timeMs >= fromMs) out.push(r);
  }
  return out;
}

/**
 * One follow: what the pods have now (merged, filtered), then each new line of every pod of the
 * function, including pods that start (or are taken for it) later, found by a watch.
 */
class PodFollower {
  private readonly pending: LogRecord[] = [];
  private dropped = 0;
  private wake?: () => void;
  /** Pods whose log is being streamed (or being opened). */
  private readonly streaming = new Set<string>();
  /** Per pod, the time of the last line passed on: a reopened stream starts there. */
  private readonly lastMs = new Map<string, number>();
  /** Lines at or after startedAt that the first read returned: the streams may bring them again. */
  private readonly seen = new Map<string, number>();
  private startedAt = 0;
  private watchStop?: AbortController;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly src: PodLogSource,
    private readonly fnKey: string,
    private readonly filter: LogFilter,
    private readonly signal: AbortSignal,
  ) {}

  async *run(): AsyncGenerator<LogRecord> {
    const wakeOnAbort = () => this.notify();
    this.signal.addEventListener("abort", wakeOnAbort, { once: true });
    // Lines read before startedAt were there for the first read: streams skip them.
    this.startedAt = Date.now();
    try {
      const first = await this.src.list(this.fnKey);
      const initial = await this.src.readPods(first.items, this.filter);
      for (const r of initial) if (r.timeMs >= this.startedAt) this.seen.set(lineKey(r), (this.seen.get(lineKey(r)) ?? 0) + 1);
      yield* initial;
      for (const pod of first.items) this.start(pod);
      await this.watchFrom(first.resourceVersion);
      for (;;) {
        if (this.signal.aborted) return;
        if (this.pending.length === 0) {
          await new Promise<void>((r) => (this.wake = r));
          continue;
        }
        yield* this.pending.splice(0);
        if (this.dropped > 0) {
          yield note(`${this.dropped} lines skipped: this reader fell behind`);
          this.dropped = 0;
        }
      }
    } finally {
      this.signal.removeEventListener("abort", wakeOnAbort);
      clearTimeout(this.retry);
      this.watchStop?.abort();
    }
  }

  private push(r: LogRecord): void {
    const k = lineKey(r);
    const n = this.seen.get(k);
    if (n) return void (n === 1 ? this.seen.delete(k) : this.seen.set(k, n - 1));
    this.lastMs.set(r.instanceId, r.timeMs);
    if (this.pending.length >= MAX_PENDING) this.dropped++;
    else this.pending.push(r);
    this.notify();
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  /** Streams the pod's log unless it already is; a container not started yet is retried on its next change. */
  private start(pod: V1Pod): void {
    const name = pod.metadata?.name ?? "";
    if (this.signal.aborted || this.streaming.has(name) || pod.metadata?.deletionTimestamp) return;
    this.streaming.add(name);
    const from = Math.max(this.filter.sinceMs ?? 0, claimedAt(pod), this.startedAt, this.lastMs.get(name) ?? 0);
    void this.src
      .followPod(pod, from, undefined, (r) => this.push(r), () => this.streaming.delete(name), this.signal)
      .catch((err: unknown) => {
        this.streaming.delete(name);
        if (!isStatus(err, 400) && !isStatus(err, 404)) this.src.logger.warn({ err: String(err), pod: name }, "cannot follow pod log");
      });
  }

  private async watchFrom(resourceVersion: string | undefined): Promise<void> {
    if (this.signal.aborted) return;
    let ended = false;
    const again = (err: unknown) => {
      if (this.signal.aborted || ended) return;
      ended = true;
      if (err) this.src.logger.debug({ err: String(err), function: this.fnKey }, "pod watch for logs ended; relisting");
      this.retry = setTimeout(() => void this.relist().catch((e: unknown) => ((ended = false), again(e))), RETRY_MS).unref();
    };
    this.watchStop = await this.src.watchPods(
      this.fnKey,
      resourceVersion,
      (type, pod) => {
        if (type === "ERROR") return again(new Error(JSON.stringify(pod)));
        if (type === "ADDED" || type === "MODIFIED") this.start(pod);
      },
      again,
    );
    if (this.signal.aborted) this.watchStop.abort();
  }

  private async relist(): Promise<void> {
    const l = await this.src.list(this.fnKey);
    for (const pod of l.items) this.start(pod);
    await this.watchFrom(l.resourceVersion);
  }
}

const lineKey = (r: LogRecord) => `${r.instanceId}\0${r.timeMs}\0${r.text}`;
