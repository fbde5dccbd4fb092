// One build: fetch the source archive, unpack it safely, run the build command, archive the
// deployment directory. Never throws for the user's mistakes: they end up in the log.
import { chmod, mkdir, rm, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { extractArchive, zipDirectory } from "@fizz/archive";
import { downloadArchive, sha256Hex, storageIdOf, storageUrl, uploadArchive, type StorageClient } from "@fizz/clients";
import type { Archive, Environment, Package } from "@fizz/proto";
import { planBuild } from "./builders.js";
import { BoundedLog } from "./log.js";
import { buildEnv, runCommand } from "./run.js";

export interface BuildLimits {
  timeoutMs: number;
  logMaxBytes: number;
  maxArchiveBytes: number;
  literalMaxBytes: number;
}

/** The deployment archive as it goes into the Package spec. */
export interface DeploymentArchive {
  type: "literal" | "url";
  literal?: Uint8Array;
  url?: string;
  checksum: { type: "sha256"; sum: string };
}

export interface BuildOutcome {
  ok: boolean;
  log: string;
  deployment?: DeploymentArchive;
  /** Set when the deployment went to storage (deleted again if the result is discarded). */
  storageId?: string;
  /** The builder is stopping: publish nothing, the package is taken back on the next start. */
  aborted?: boolean;
}

export interface BuildInput {
  pkg: Package;
  env: Environment | undefined;
  workDir: string;
  storage: () => StorageClient;
  limits: BuildLimits;
  signal?: AbortSignal;
}

class BuildFailure extends Error {}

export async function runBuild(b: BuildInput): Promise<BuildOutcome> {
  const log = new BoundedLog(b.limits.logMaxBytes);
  const src = join(b.workDir, "src");
  const deploy = join(b.workDir, "deploy");
  try {
    await rm(b.workDir, { recursive: true, force: true });
    await mkdir(b.workDir, { recursive: true });
    const source = await fetchSource(b.pkg.spec!.source!, b.storage, b.limits.maxArchiveBytes);
    try {
      await extractArchive(source, src, { maxBytes: b.limits.maxArchiveBytes });
    } catch (err) {
      throw new BuildFailure(`cannot unpack the source archive: ${(err as Error).message}`);
    }
    await mkdir(deploy, { recursive: true });

    const plan = planBuild(b.pkg, b.env);
    if (plan.executable) await makeExecutable(src, plan.executable);
    log.line(plan.describe);
    const r = await runCommand({
      script: plan.script,
      cwd: src,
      env: buildEnv(process.env, src, deploy),
      timeoutMs: b.limits.timeoutMs,
      log,
      signal: b.signal,
    });
    if (r.aborted) return { ok: false, aborted: true, log: log.toString() };
    if (r.timedOut) throw new BuildFailure(`build timed out after ${Math.round(b.limits.timeoutMs / 1000)} s (process group killed)`);
    if (r.code !== 0) throw new BuildFailure(r.signal ? `build failed: killed by ${r.signal}` : `build failed: exit code ${r.code ?? "unknown"}`);

    const zip = await zipDirectory(deploy);
    if (zip.length > b.limits.maxArchiveBytes)
      throw new BuildFailure(`deployment archive is ${zip.length} bytes, more than the limit of ${b.limits.maxArchiveBytes}`);
    const checksum = { type: "sha256" as const, sum: sha256Hex(zip) };
    if (zip.length <= b.limits.literalMaxBytes) {
      log.line(`build succeeded: deployment archive ${zip.length} bytes (literal)`);
      return { ok: true, log: log.toString(), deployment: { type: "literal", literal: zip, checksum } };
    }
    const info = await uploadArchive(b.storage(), zip);
    log.line(`build succeeded: deployment archive ${zip.length} bytes (${storageUrl(info.id)})`);
    return { ok: true, log: log.toString(), deployment: { type: "url", url: storageUrl(info.id), checksum }, storageId: info.id };
  } catch (err) {
    log.line(err instanceof BuildFailure ? err.message : `build failed: ${(err as Error).message}`);
    return { ok: false, log: log.toString() };
  } finally {
    await rm(b.workDir, { recursive: true, force: true }).catch(() => {});
  }
}

async function fetchSource(a: Archive, storage: () => StorageClient, maxBytes: number): Promise<Uint8Array> {
  let data: Uint8Array;
  if (a.type === "literal" || (!a.type && a.literal.length > 0)) data = a.literal;
  else {
    const id = storageIdOf(a.url);
    try {
      data = id ? await downloadArchive(storage(), id, { maxBytes }) : await fetchUrl(a.url, maxBytes);
    } catch (err) {
      throw new BuildFailure(`cannot fetch the source archive ${a.url}: ${(err as Error).message}`);
    }
  }
  const want = a.checksum?.sum;
  if (want && sha256Hex(data) !== want.toLowerCase())
    throw new BuildFailure(`source archive checksum mismatch: expected sha256 ${want}, got ${sha256Hex(data)}`);
  return data;
}

/** Fission packages may point at any http(s) URL. */
async function fetchUrl(url: string, maxBytes: number): Promise<Uint8Array> {
  if (!/^https?:\/\//.test(url)) throw new Error(`unsupported URL scheme (use storage:// or http(s)://)`);
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
  return buf;
}

/** Archives made on some systems lose the x bit: the named build script has to run anyway. */
async function makeExecutable(srcDir: string, rel: string): Promise<void> {
  const abs = resolve(srcDir, rel);
  const inside = relative(srcDir, abs);
  if (inside.startsWith("..") || inside.startsWith(sep)) return;
  try {
    const st = await stat(abs);
    if (st.isFile() && (st.mode & 0o111) !== 0o111) await chmod(abs, st.mode | 0o111);
  } catch {
    // not in the archive: the shell reports it
  }
}
