// What the fetcher does for one specialization: download the package's deployment archive (the
// executor's ArchiveFetcher), unpack it into a staging directory beside its final place, move it
// into place, and call the runtime's /v2/specialize (/specialize for v1). A failure removes what
// was unpacked, so the runtime can never load a half-written tree, and leaves the pod generic
// (the runtime stays generic when its own specialize fails), so it may be retried.
import { mkdtemp, rename, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { FizzError, type Logger } from "@fizz/common";
import type { StorageClient } from "@fizz/clients";
import { ArchiveFetcher, unpack } from "../poolmgr/archive.js";
import { RuntimeClient } from "../poolmgr/runtime-client.js";
import type { FetcherConfig } from "./config.js";
import type { SpecializeRequest } from "./request.js";

/** Where v2 code lands under the userfunc volume (v1 runtimes load <userfunc>/user). */
export const DEPLOY_DIR = "deployarchive";

export type State = "generic" | "specializing" | "specialized";

export class Specializer {
  private readonly archives: ArchiveFetcher;
  private readonly runtime = new RuntimeClient();
  state: State = "generic";

  constructor(
    private readonly c: FetcherConfig,
    storage: () => StorageClient,
    private readonly log: Logger,
  ) {
    this.archives = new ArchiveFetcher(storage, c.maxArchiveBytes);
  }

  /** Specializes the pod once; a second call, or one while the first runs, is ALREADY_EXISTS. */
  async specialize(r: SpecializeRequest): Promise<void> {
    if (this.state !== "generic")
      throw new FizzError("ALREADY_EXISTS", `this pod is ${this.state === "specializing" ? "being specialized" : "already specialized"}: a pod is specialized once`, "ALREADY_SPECIALIZED");
    this.state = "specializing";
    const started = Date.now();
    const pkgName = `${r.pkg.metadata?.namespace ?? ""}/${r.pkg.metadata?.name ?? ""}`;
    try {
      const archive = await this.archives.fetch(r.pkg);
      const filepath = await this.place(archive, r);
      await this.runtime.specialize(this.c.runtimeAddress, r.v1 ? undefined : { filepath, functionName: r.functionName }, r.timeoutMs);
      this.state = "specialized";
      this.log.info({ package: pkgName, functionName: r.functionName, ms: Date.now() - started }, "specialized");
    } catch (err) {
      this.state = "generic";
      await rm(this.target(r.v1), { recursive: true, force: true });
      this.log.warn({ err, package: pkgName, functionName: r.functionName }, "specialize failed");
      throw err;
    }
  }

  close(): Promise<void> {
    return this.runtime.close();
  }

  /** Unpacks into a staging dir on the same volume, then renames into place; returns the runtime's filepath. */
  private async place(archive: Awaited<ReturnType<ArchiveFetcher["fetch"]>>, r: SpecializeRequest): Promise<string> {
    const staging = await mkdtemp(join(this.c.userfuncDir, ".staging-"));
    try {
      const unpacked = await unpack(archive, staging, this.c.maxArchiveBytes, r.functionName, r.v1);
      // unpack() puts everything under <staging>/userfunc; v1's code is <staging>/userfunc/user.
      const from = r.v1 ? unpacked : join(staging, "userfunc");
      const to = this.target(r.v1);
      await rm(to, { recursive: true, force: true });
      await rename(from, to);
      return join(to, relative(from, unpacked));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private target(v1: boolean): string {
    return join(this.c.userfuncDir, v1 ? "user" : DEPLOY_DIR);
  }
}
