// The Dockerfile, checked without a Docker engine: dockerfile-utils' linter, then what the
// linter cannot know: stages exist, COPY sources exist in the build context, and each target's
// effective USER, EXPOSE and ENV (inherited through FROM <stage>).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser, type Env, type From, type Instruction, type JSONInstruction, type ModifiableInstruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";

export interface Stage {
  name: string;
  /** The image or earlier stage it starts from (ARGs substituted). */
  from: string;
  instructions: Instruction[];
}

export interface DockerfileInfo {
  stages: Map<string, Stage>;
  problems: string[];
}

const flag = (i: Instruction, name: string) =>
  (i as ModifiableInstruction).getFlags?.().find((f) => f.getName() === name)?.getValue() ?? undefined;

const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());

/** Parses and checks a Dockerfile whose build context is `root`. */
export function inspectDockerfile(text: string, root: string): DockerfileInfo {
  const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const file = DockerfileParser.parse(text);
  const argDefaults = new Map<string, string>();
  for (const a of file.getInitialARGs()) {
    const [k, v] = (a.getArgumentsContent() ?? "").split("=", 2);
    if (k && v !== undefined) argDefaults.set(k, v);
  }
  const stages = new Map<string, Stage>();
  let current: Stage | undefined;
  for (const i of file.getInstructions()) {
    if (i.getKeyword() !== "FROM") {
      current?.instructions.push(i);
      continue;
    }
    const name = (i as From).getBuildStage() ?? `#${stages.size}`;
    const base = (args(i)[0] ?? "").replace(/^\$\{?(\w+)\}?$/, (m, v: string) => argDefaults.get(v) ?? m);
    if (base.includes("$")) problems.push(`stage ${name}: FROM ${base} uses an ARG without a default`);
    current = { name, from: base, instructions: [] };
    stages.set(name, current);
  }
  for (const s of stages.values()) {
    for (const i of s.instructions) {
      if (i.getKeyword() !== "COPY" && i.getKeyword() !== "ADD") continue;
      const src = flag(i, "from");
      const paths = args(i).slice(0, -1);
      if (src !== undefined) {
        if (!stages.has(src) || [...stages.keys()].indexOf(src) >= [...stages.keys()].indexOf(s.name))
          problems.push(`stage ${s.name}: COPY --from=${src} names no earlier stage`);
      } else {
        for (const p of paths) if (!existsSync(join(root, p))) problems.push(`stage ${s.name}: COPY source ${p} does not exist`);
      }
    }
  }
  return { stages, problems };
}

/** A stage and the stages it is built FROM, base first. */
function lineage(info: DockerfileInfo, target: string): Stage[] {
  const chain: Stage[] = [];
  for (let s = info.stages.get(target); s; s = info.stages.get(s.from)) chain.unshift(s);
  return chain;
}

const all = (info: DockerfileInfo, target: string, keyword: string) =>
  lineage(info, target).flatMap((s) => s.instructions.filter((i) => i.getKeyword() === keyword));

/** The USER a target runs as ("" when never set: root). */
export function effectiveUser(info: DockerfileInfo, target: string): string {
  const u = all(info, target, "USER").at(-1);
  return u ? (args(u)[0] ?? "") : "";
}

/** Ports a target EXPOSEs. */
export const exposedPorts = (info: DockerfileInfo, target: string) =>
  all(info, target, "EXPOSE").flatMap(args).map((p) => Number(p.split("/")[0]));

/** ENV a target ends up with. */
export function effectiveEnv(info: DockerfileInfo, target: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of all(info, target, "ENV")) for (const p of (i as Env).getProperties()) env[p.getName()] = p.getValue() ?? "";
  return env;
}

/** Every RUN command's text in a stage's lineage, for checks on what the build runs. */
export const runCommands = (info: DockerfileInfo, target: string) =>
  all(info, target, "RUN").map((i) => i.getArgumentsContent() ?? "");

/** The exec-form CMD a target ends up with ([] when none, or in shell form). */
export function effectiveCmd(info: DockerfileInfo, target: string): string[] {
  const c = all(info, target, "CMD").at(-1) as JSONInstruction | undefined;
  return c?.getJSONStrings().map((a) => a.getJSONValue()) ?? [];
}
