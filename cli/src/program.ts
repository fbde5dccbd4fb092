// The `fizz` command tree. Every command lives in its own file and registers itself on its group.
import { Command, Option } from "commander";
import * as envCreate from "./commands/env/create.js";
import * as envDelete from "./commands/env/delete.js";
import * as envGet from "./commands/env/get.js";
import * as envList from "./commands/env/list.js";
import * as envUpdate from "./commands/env/update.js";
import * as fnCreate from "./commands/fn/create.js";
import * as fnDelete from "./commands/fn/delete.js";
import * as fnGet from "./commands/fn/get.js";
import * as fnInvocation from "./commands/fn/invocation.js";
import * as fnInvocations from "./commands/fn/invocations.js";
import * as fnList from "./commands/fn/list.js";
import * as fnLogs from "./commands/fn/logs.js";
import * as fnTest from "./commands/fn/test.js";
import * as fnUpdate from "./commands/fn/update.js";
import * as pkgCreate from "./commands/pkg/create.js";
import * as pkgDelete from "./commands/pkg/delete.js";
import * as pkgGetdeploy from "./commands/pkg/getdeploy.js";
import * as pkgGetsrc from "./commands/pkg/getsrc.js";
import * as pkgInfo from "./commands/pkg/info.js";
import * as pkgList from "./commands/pkg/list.js";
import * as pkgRebuild from "./commands/pkg/rebuild.js";
import * as pkgUpdate from "./commands/pkg/update.js";
import * as routeCreate from "./commands/route/create.js";
import * as routeDelete from "./commands/route/delete.js";
import * as routeGet from "./commands/route/get.js";
import * as routeList from "./commands/route/list.js";
import * as routeUpdate from "./commands/route/update.js";
import * as up from "./commands/up.js";
import * as recorderCreate from "./commands/recorder/create.js";
import * as recorderDelete from "./commands/recorder/delete.js";
import * as recorderGet from "./commands/recorder/get.js";
import * as recorderList from "./commands/recorder/list.js";
import * as recorderUpdate from "./commands/recorder/update.js";
import * as recordsList from "./commands/records/list.js";
import * as recordsView from "./commands/records/view.js";
import * as replay from "./commands/replay.js";
import * as mqtCreate from "./commands/mqt/create.js";
import * as mqtDelete from "./commands/mqt/delete.js";
import * as mqtGet from "./commands/mqt/get.js";
import * as mqtList from "./commands/mqt/list.js";
import * as mqtUpdate from "./commands/mqt/update.js";
import * as canaryAbort from "./commands/canary/abort.js";
import * as canaryCreate from "./commands/canary/create.js";
import * as canaryDelete from "./commands/canary/delete.js";
import * as canaryGet from "./commands/canary/get.js";
import * as canaryList from "./commands/canary/list.js";
import * as canaryUpdate from "./commands/canary/update.js";
import * as timerCreate from "./commands/timer/create.js";
import * as timerDelete from "./commands/timer/delete.js";
import * as timerGet from "./commands/timer/get.js";
import * as timerList from "./commands/timer/list.js";
import * as timerShowschedule from "./commands/timer/showschedule.js";
import * as timerUpdate from "./commands/timer/update.js";
import * as specApply from "./commands/spec/apply.js";
import * as specDestroy from "./commands/spec/destroy.js";
import * as specInit from "./commands/spec/init.js";
import * as specList from "./commands/spec/list.js";
import * as specValidate from "./commands/spec/validate.js";

type Registrar = { register(parent: Command): void };

function group(program: Command, name: string, aliases: string[], description: string, verbs: Registrar[]): void {
  const g = program.command(name).aliases(aliases).description(description);
  for (const v of verbs) v.register(g);
}

export function buildProgram(): Command {
  const program = new Command("fizz")
    .description("Fizz: serverless functions, Fission-compatible. Talks to the admin API at $FIZZ_ADMIN (default 127.0.0.1:9090).")
    .addOption(new Option("-o, --output <format>", "output format: table, json or yaml").default("table"))
    .addOption(new Option("--namespace <ns>", "namespace of the resources").default("default"))
    .showHelpAfterError("(add --help for usage)");
  group(program, "env", ["environment"], "language environments functions run in", [envCreate, envGet, envList, envUpdate, envDelete]);
  group(program, "fn", ["function"], "functions", [fnCreate, fnGet, fnList, fnUpdate, fnDelete, fnTest, fnLogs, fnInvocations, fnInvocation]);
  group(program, "pkg", ["package"], "packages: source to build or prebuilt code functions run", [
    pkgCreate,
    pkgInfo,
    pkgList,
    pkgUpdate,
    pkgRebuild,
    pkgGetsrc,
    pkgGetdeploy,
    pkgDelete,
  ]);
  group(program, "route", ["httptrigger", "ht"], "HTTP routes (HTTP triggers) to functions", [routeCreate, routeGet, routeList, routeUpdate, routeDelete]);
  group(program, "recorder", [], "recorders: which requests are recorded for replay", [recorderCreate, recorderGet, recorderList, recorderUpdate, recorderDelete]);
  group(program, "records", ["record"], "recorded requests and responses", [recordsList, recordsView]);
  group(program, "spec", [], "declarative specs: a directory of YAML the platform is reconciled to", [specInit, specValidate, specApply, specList, specDestroy]);
  group(program, "timer", ["tt", "timetrigger"], "time triggers: call functions on a cron schedule (UTC)", [
    timerCreate,
    timerGet,
    timerList,
    timerUpdate,
    timerDelete,
    timerShowschedule,
  ]);
  group(program, "mqt", ["messagequeue", "mqtrigger"], "message queue triggers: call functions per NATS/Kafka message", [mqtCreate, mqtGet, mqtList, mqtUpdate, mqtDelete]);
  group(program, "canary", ["canaryconfig", "canary-config"], "canaries: move a route's traffic to a new function step by step, rolled back on errors", [
    canaryCreate,
    canaryGet,
    canaryList,
    canaryUpdate,
    canaryAbort,
    canaryDelete,
  ]);
  replay.register(program);
  up.register(program);
  return program;
}
