// fizz spec apply [--specdir specs] [--dry-run] [--delete] [--watch]
// Plans first (create / update / delete / unchanged, and why), then applies in dependency order.
// --watch keeps re-applying on every save and says when the new code is serving.
import type { Command } from "commander";
import { adminApi, run, say } from "../../context.js";
import { lazyUploader } from "../../code.js";
import { usage } from "../../errors.js";
import { applyPlan, describeStep, pastTense } from "../../spec/apply.js";
import { counts } from "../../spec/plan.js";
import { failOnProblems, planSummary, planTable, runPass } from "../../spec/session.js";
import { watchSpecs } from "../../spec/watch.js";
import { specDirOption } from "./common.js";

interface Opts {
  specdir: string;
  dryRun?: boolean;
  delete?: boolean;
  watch?: boolean;
}

export function register(group: Command): void {
  specDirOption(group.command("apply").description("make the platform match the spec directory (packages local files, uploads, creates, updates)"))
    .option("--dry-run", "print the plan, change nothing")
    .option("--delete", "also delete resources of this deployment that are no longer in the specs")
    .option("--watch", "keep applying whenever a spec or source file changes; prints when the new version is live")
    .action(
      run<Opts>(async (o, g) => {
        const api = await adminApi();
        if (o.watch) {
          if (o.dryRun) throw usage("--watch applies changes; it cannot be combined with --dry-run");
          const stop = new AbortController();
          process.once("SIGINT", () => stop.abort());
          process.once("SIGTERM", () => stop.abort());
          return watchSpecs({ dir: o.specdir, namespace: g.namespace, api, upload: lazyUploader, delete: !!o.delete, say, signal: stop.signal });
        }
        const pass = await runPass({ dir: o.specdir, namespace: g.namespace, api, needPlatform: true, delete: !!o.delete });
        failOnProblems(pass);
        const plan = pass.plan!;
        const rows = plan.steps.map((s) => ({ action: s.action, kind: s.kind.info.name, namespace: s.namespace, name: s.name, reason: s.reason }));
        if (o.dryRun) {
          if (g.output !== "table") return say(g.output === "json" ? JSON.stringify(rows, null, 2) : (await import("yaml")).stringify(rows));
          if (plan.steps.length + plan.kept.length) process.stdout.write(planTable(plan));
          return say(`plan: ${planSummary(plan)} (dry run: nothing applied)`);
        }
        const done = await applyPlan(api, plan, lazyUploader, (s) => g.output === "table" && say(`${pastTense(s)} ${describeStep(s)}${s.reason ? `: ${s.reason}` : ""}`));
        const c = counts(done);
        const unchanged = counts(plan.steps).unchanged;
        if (g.output !== "table") return say(g.output === "json" ? JSON.stringify(rows, null, 2) : (await import("yaml")).stringify(rows));
        const kept = plan.kept.length ? `; ${plan.kept.length} no longer in the specs were kept (--delete removes them)` : "";
        say(`${done.length} changed (${c.create} created, ${c.update} updated, ${c.delete} deleted), ${unchanged} unchanged${kept}`);
      }),
    );
}
