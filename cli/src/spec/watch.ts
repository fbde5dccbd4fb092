// `spec apply --watch`: apply, then re-apply whenever a spec file or an archive's source changes.
// Saves are debounced (an editor's write-rename-chmod burst is one change); a change during an
// apply queues exactly one more pass. Each pass re-plans from scratch, and content hashing keeps
// it to what changed. For every function whose code or settings changed it then prints when the
// new version is serving (live.ts), timed from the first file event of the burst.
import { watch, type FSWatcher } from "node:fs";
import { relative } from "node:path";
import type { AdminClient } from "@fizz/clients";
import { describeError } from "../errors.js";
import type { Uploader } from "../code.js";
import { getResource } from "../resources.js";
import { applyPlan, describeStep, pastTense } from "./apply.js";
import { ArchiveBuilder } from "./archives.js";
import { waitLive } from "./live.js";
import type { Step } from "./plan.js";
import { readSpecs } from "./parse.js";
import { problemLines, runPass } from "./session.js";

export interface WatchOptions {
  dir: string;
  namespace: string;
  api: AdminClient;
  upload: Uploader;
  delete: boolean;
  debounceMs?: number;
  liveTimeoutMs?: number;
  say: (line: string) => void;
  signal?: AbortSignal;
}

const IGNORED = [/(^|[/\\])\.git([/\\]|$)/, /~$/, /(^|[/\\])\.#/, /\.sw[px]$/, /(^|[/\\])4913$/];

/** Functions whose served code or settings the applied steps changed: their own steps, and users of changed packages. */
function touchedFunctions(done: Step[], usersOf: Map<string, Array<{ name: string; namespace: string }>>) {
  const out = new Map<string, { name: string; namespace: string }>();
  for (const s of done) {
    if (s.action === "delete") continue;
    if (s.kind.info.case === "function") out.set(`${s.namespace}/${s.name}`, s);
    if (s.kind.info.case === "package") for (const f of usersOf.get(`${s.namespace}/${s.name}`) ?? []) out.set(`${f.namespace}/${f.name}`, f);
  }
  return [...out.values()];
}

export async function watchSpecs(o: WatchOptions): Promise<void> {
  const builder = new ArchiveBuilder();
  const { executorClient } = await import("@fizz/clients");
  const executor = executorClient();

  const pass = async (since: number) => {
    const p = await runPass({ dir: o.dir, namespace: o.namespace, api: o.api, needPlatform: true, delete: o.delete, builder });
    for (const l of problemLines(p)) o.say(l);
    if (p.errors.length || !p.plan) return o.say(`not applied: ${p.errors.length} problem${p.errors.length === 1 ? "" : "s"}; waiting for the next change`);
    // Which functions use each package (for "live" after a code-only change).
    const functionsOfPackage = new Map<string, Array<{ name: string; namespace: string }>>();
    for (const s of p.plan.steps) {
      const d = s.desired;
      if (d?.$typeName !== "fizz.v1.Function" || !d.spec?.package?.packageref?.name) continue;
      const key = `${s.namespace}/${d.spec.package.packageref.name}`;
      functionsOfPackage.set(key, [...(functionsOfPackage.get(key) ?? []), { name: s.name, namespace: s.namespace }]);
    }
    const done = await applyPlan(o.api, p.plan, o.upload, (s) => o.say(`${pastTense(s)} ${describeStep(s)}${s.reason ? `: ${s.reason}` : ""}`));
    if (!done.length) return o.say("no changes");
    await Promise.all(
      touchedFunctions(done, functionsOfPackage).map(async (f) => {
        const fn = await getResource(o.api, "function", f.namespace, f.name);
        const rv = fn.metadata!.resourceVersion;
        const r = await waitLive(executor, f.name, f.namespace, rv, o.liveTimeoutMs);
        const v = `${f.name} (v${fn.metadata!.generation})`;
        o.say(r.live ? `live: ${v} in ${Date.now() - since} ms` : `not live: ${v}: ${r.detail}`);
      }),
    );
  };

  // One pass at a time; events during a pass make one more pass after it.
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let firstEvent: number | undefined;
  const run = (since: number) => {
    running = pass(since)
      .catch((err) => o.say(`apply failed: ${describeError(err)}`))
      .finally(() => {
        running = undefined;
        if (firstEvent !== undefined && !timer) schedule();
      });
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running || firstEvent === undefined) return;
      const since = firstEvent;
      firstEvent = undefined;
      run(since);
    }, o.debounceMs ?? 50);
  };
  const onEvent = (_: string, file: string | null) => {
    if (file && IGNORED.some((re) => re.test(file))) return;
    firstEvent ??= Date.now();
    if (!running) schedule();
  };

  const first = await readSpecs(o.dir, o.namespace);
  const roots = new Set([first.root, ...first.archives.map((a) => a.rootdir)]);
  const watchers: FSWatcher[] = [];
  for (const root of roots) {
    try {
      watchers.push(watch(root, { recursive: true }, onEvent));
    } catch (err) {
      o.say(`cannot watch ${root}: ${describeError(err)}`);
    }
  }
  run(Date.now());
  o.say(`watching ${[...roots].map((r) => relative(process.cwd(), r) || ".").join(", ")} for changes (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    if (o.signal?.aborted) return resolve();
    o.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  clearTimeout(timer);
  for (const w of watchers) w.close();
  await running;
  executor.close();
}
