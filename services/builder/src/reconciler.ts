// Decides which packages to build and writes their status. The controller is the only source of
// truth: every write carries the resourceVersion just read, and a result is published only if
// the package still asks for the build that produced it.
import { join } from "node:path";
import { clone, create, equals } from "@bufbuild/protobuf";
import { isFizzError, silentLogger, type Logger } from "@fizz/common";
import { keyOf, type AdminClient, type Informer, type StorageClient } from "@fizz/clients";
import { ArchiveSchema, Kind, PackageStatusSchema, ResourceSchema, type Environment, type Package, type Resource } from "@fizz/proto";
import { runBuild, type BuildLimits, type BuildOutcome } from "./build.js";
import { KeyedQueue, type QueueSnapshot } from "./queue.js";

export interface ReconcilerDeps {
  /** Told of every published build result (metrics). */
  onBuilt?: (result: "succeeded" | "failed", seconds: number) => void;
  admin: AdminClient;
  informer: Informer;
  storage: () => StorageClient;
  buildsDir: string;
  concurrency: number;
  limits: BuildLimits;
  log?: Logger;
}

const RETRY_MS = 1000;

/** Source to build: pending, or "running" left behind by a builder that died (only one builder runs). */
export const needsBuild = (p: Package) => !!p.spec?.source && (p.status?.buildstatus === "pending" || p.status?.buildstatus === "running");

/** Same inputs as the build that started: the result still answers what the package asks for. */
const sameInputs = (a: Package, b: Package) =>
  equals(ArchiveSchema, a.spec!.source!, b.spec!.source!) &&
  a.spec?.buildcmd === b.spec?.buildcmd &&
  a.spec?.environment?.name === b.spec?.environment?.name;

export class Reconciler {
  private readonly queue: KeyedQueue;
  /** Newest resourceVersion read or written per package: older watch events are old news. */
  private readonly seen = new Map<string, bigint>();
  private readonly aborts = new Map<string, AbortController>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly d: ReconcilerDeps) {
    this.log = d.log ?? silentLogger;
    this.queue = new KeyedQueue(d.concurrency, (key) => this.job(key), (key, err) => this.retry(key, err));
  }

  onPackage(pkg: Package): void {
    const m = pkg.metadata!;
    const key = keyOf(m.namespace, m.name);
    if (!needsBuild(pkg) || BigInt(m.resourceVersion || "0") <= (this.seen.get(key) ?? -1n)) return;
    this.queue.enqueue(key);
  }

  onPackageDeleted(pkg: Package): void {
    this.seen.delete(keyOf(pkg.metadata!.namespace, pkg.metadata!.name));
  }

  /** Packages waiting for this environment (it did not exist yet when they were looked at). */
  onEnvironment(env: Environment): void {
    for (const r of this.d.informer.list(Kind.PACKAGE)) {
      if (r.kind.case !== "package") continue;
      const p = r.kind.value;
      if (needsBuild(p) && p.spec?.environment?.name === env.metadata!.name && p.metadata!.namespace === env.metadata!.namespace)
        this.queue.enqueue(keyOf(p.metadata!.namespace, p.metadata!.name));
    }
  }

  snapshot(): QueueSnapshot {
    return this.queue.snapshot();
  }

  /** Kills running builds without publishing anything: they stay "running" and are taken back on the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries) clearTimeout(t);
    for (const ac of this.aborts.values()) ac.abort();
    await this.queue.close();
  }

  private async job(key: string): Promise<void> {
    const [ns = "", name = ""] = key.split("/");
    build: for (;;) {
      if (this.stopped) return;
      const pkg = await this.read(ns, name);
      if (!pkg || !needsBuild(pkg)) return;
      const envName = pkg.spec?.environment?.name ?? "";
      const envRes = this.d.informer.get(Kind.ENVIRONMENT, ns, envName);
      const env = envRes?.kind.case === "environment" ? envRes.kind.value : undefined;
      if (!env) {
        this.log.info({ package: key, environment: envName }, "environment not found yet; build waits for it");
        return;
      }
      const rv = pkg.metadata!.resourceVersion;
      const started = await this.write(pkg, (p) => {
        p.status = create(PackageStatusSchema, { buildstatus: "running", lastUpdateTimestamp: new Date().toISOString() });
      });
      if (!started) continue; // changed meanwhile: decide again on what is there now
      this.log.info({ package: key, resourceVersion: rv }, "build started");
      const ac = new AbortController();
      this.aborts.set(key, ac);
      const dir = `${ns === "default" ? "" : `${ns}_`}${name}-${rv}`;
      let outcome: BuildOutcome;
      const began = performance.now();
      try {
        outcome = await runBuild({ pkg: started, env, workDir: join(this.d.buildsDir, dir), storage: this.d.storage, limits: this.d.limits, signal: ac.signal });
      } finally {
        this.aborts.delete(key);
      }
      if (outcome.aborted || this.stopped) return;
      for (;;) {
        const cur = await this.read(ns, name);
        if (!cur || !sameInputs(cur, started) || cur.status?.buildstatus !== "running") {
          this.log.info({ package: key }, "package changed during the build; result discarded");
          await this.discard(outcome);
          if (cur && needsBuild(cur)) continue build;
          return;
        }
        const done = await this.write(cur, (p) => {
          if (outcome.ok && outcome.deployment) p.spec!.deployment = create(ArchiveSchema, outcome.deployment);
          p.status = create(PackageStatusSchema, {
            buildstatus: outcome.ok ? "succeeded" : "failed",
            buildlog: outcome.log,
            lastUpdateTimestamp: new Date().toISOString(),
          });
        });
        if (done) {
          this.d.onBuilt?.(outcome.ok ? "succeeded" : "failed", (performance.now() - began) / 1000);
          this.log.info({ package: key, status: outcome.ok ? "succeeded" : "failed" }, "build finished");
          return;
        }
      }
    }
  }

  /** The package as the controller has it now, or undefined when it is gone. */
  private async read(ns: string, name: string): Promise<Package | undefined> {
    try {
      const r = await this.d.admin.get({ kind: Kind.PACKAGE, namespace: ns, name });
      return this.note(r);
    } catch (err) {
      if (isFizzError(err, "NOT_FOUND")) return undefined;
      throw err;
    }
  }

  /** Applies `change` to a copy and updates it at the version read; undefined on CONFLICT (or when it vanished). */
  private async write(pkg: Package, change: (p: Package) => void): Promise<Package | undefined> {
    const r = clone(ResourceSchema, create(ResourceSchema, { kind: { case: "package", value: pkg } }));
    if (r.kind.case !== "package") return undefined;
    change(r.kind.value);
    try {
      return this.note(await this.d.admin.update({ resource: r }));
    } catch (err) {
      if (isFizzError(err, "ABORTED") || isFizzError(err, "NOT_FOUND")) return undefined;
      throw err;
    }
  }

  private note(r: Resource): Package | undefined {
    if (r.kind.case !== "package") return undefined;
    const m = r.kind.value.metadata!;
    const key = keyOf(m.namespace, m.name);
    const v = BigInt(m.resourceVersion || "0");
    if (v > (this.seen.get(key) ?? -1n)) this.seen.set(key, v);
    return r.kind.value;
  }

  private async discard(outcome: BuildOutcome): Promise<void> {
    if (!outcome.storageId) return;
    await this.d.storage().delete({ id: outcome.storageId }).catch((err: unknown) => {
      this.log.warn({ id: outcome.storageId, err: (err as Error).message }, "cannot delete a discarded deployment archive");
    });
  }

  /** Controller or storage unreachable: try again shortly (the package is still pending or running). */
  private retry(key: string, err: unknown): void {
    if (this.stopped) return;
    this.log.warn({ package: key, err: (err as Error).message }, "build job failed; retrying");
    const t = setTimeout(() => {
      this.retries.delete(t);
      this.queue.enqueue(key);
    }, RETRY_MS);
    this.retries.add(t);
  }
}
