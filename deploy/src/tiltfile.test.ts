import { describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectDockerfile } from "./dockerfile.js";
import { kustomize, type K8sObject } from "./kustomize.js";
import { deployableServices, REPO_ROOT } from "./repo.js";
import { callsOf, tiltCalls, type TiltCall } from "./tiltfile.js";

const calls = tiltCalls(join(REPO_ROOT, "Tiltfile"));
const docker = inspectDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"), REPO_ROOT);
const builds = [...callsOf(calls, "docker_build"), ...callsOf(calls, "docker_build_with_restart")];
const resources = callsOf(calls, "k8s_resource");
const resourceName = (c: TiltCall) => (c.kwargs["new_name"] as string | undefined) ?? (c.args[0] as string);
const overlay = callsOf(calls, "kustomize")[0]!.args[0] as string;
const rendered = kustomize(join(REPO_ROOT, overlay));
const deployments = rendered.filter((o) => o.kind === "Deployment");
const imageName = (image: string) => image.replace(/:[^/:]+$/, "");

function tiltfileErrors(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fizz-tilt-"));
  try {
    writeFileSync(join(dir, "Tiltfile"), text);
    tiltCalls(join(dir, "Tiltfile"));
    return "";
  } catch (err) {
    return (err as Error).message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Tiltfile", () => {
  it("is Starlark Tilt accepts, and runs", () => {
    expect(calls.length).toBeGreaterThan(20);
  });

  it.each([
    ["an import", "import os\n", "line 1: import is not Starlark"],
    ["a while loop", "while True:\n    pass\n", "line 1: while is not Starlark"],
    ["an f-string", 'x = 1\ny = f"{x}"\n', "line 2: f-string is not Starlark"],
    ["a syntax error", "k8s_yaml(\n", "line 1"],
    ["a call to fail()", 'fail("no cluster")\n', "fail(): no cluster"],
    ["an undefined name", "docker_buld('x', '.')\n", "name 'docker_buld' is not defined"],
  ])("rejects %s", (_what, text, message) => {
    expect(tiltfileErrors(text)).toContain(message);
  });

  it("applies the dev overlay", () => {
    expect(overlay).toBe("deploy/kubernetes/overlays/dev");
    expect(callsOf(calls, "k8s_yaml")).toHaveLength(1);
  });

  it("builds every image the dev overlay uses, from Dockerfile targets", () => {
    const used = new Set<string>();
    for (const d of deployments as Array<K8sObject & { spec: { template: { spec: { containers: Array<{ image: string; env?: Array<{ name: string; value?: string }> }> } } } }>)
      for (const c of d.spec.template.spec.containers) {
        if (c.image.startsWith("fizz/")) used.add(imageName(c.image));
        for (const e of c.env ?? []) if (e.name.startsWith("FIZZ_RUNTIME_IMAGE_") || e.name === "FIZZ_FETCHER_IMAGE") used.add(imageName(e.value!));
      }
    expect(builds.map((b) => b.args[0]).sort()).toEqual([...used].sort());
    for (const b of builds) expect([b.args[0], docker.stages.has(b.kwargs["target"] as string)]).toEqual([b.args[0], true]);
    for (const b of callsOf(calls, "docker_build").filter((x) => x.kwargs["match_in_env_vars"])) {
      for (const p of (b.kwargs["only"] as string[] | undefined) ?? []) expect([p, existsSync(join(REPO_ROOT, p))]).toEqual([p, true]);
    }
  });

  it("live-updates each service: syncs its src and libs into the dev image, compiles, restarts", () => {
    const withRestart = callsOf(calls, "docker_build_with_restart");
    expect(withRestart.map((b) => b.args[0]).sort()).toEqual(deployableServices().map((s) => `fizz/${s}`).sort());
    expect(callsOf(calls, "load")[0]!.args).toEqual(["ext://restart_process", "docker_build_with_restart"]);
    for (const b of withRestart) {
      const svc = (b.args[0] as string).slice("fizz/".length);
      expect(b.kwargs["target"]).toBe("dev");
      expect(b.kwargs["entrypoint"]).toEqual(["node", `services/${svc}/dist/main.js`]);
      expect(existsSync(join(REPO_ROOT, "services", svc, "src", "main.ts"))).toBe(true);
      const steps = b.kwargs["live_update"] as TiltCall[];
      const syncs = steps.filter((s) => s.fn === "sync").map((s) => s.args as [string, string]);
      expect(syncs).toContainEqual([`services/${svc}/src`, `/src/services/${svc}/src`]);
      for (const [from, to] of syncs) {
        expect(existsSync(join(REPO_ROOT, from))).toBe(true);
        expect(to).toBe(`/src/${from}`); // the dev stage's WORKDIR is /src, laid out like the repo
      }
      expect(steps.filter((s) => s.fn === "run").map((s) => s.args[0])).toEqual([`pnpm exec tsc -b services/${svc}`]);
      const fallBack = steps.find((s) => s.fn === "fall_back_on")!.args[0] as string[];
      for (const p of fallBack) expect([p, existsSync(join(REPO_ROOT, p))]).toEqual([p, true]);
    }
    expect(docker.stages.get("dev")!.from).toBe("build");
  });

  it("groups every Deployment and every other object under a resource", () => {
    const named = resources.map(resourceName);
    expect(named.filter((n) => n !== "cluster").sort()).toEqual(deployments.map((d) => d.metadata.name).sort());
    const claimed = new Set(resources.flatMap((r) => (r.kwargs["objects"] as string[] | undefined) ?? []));
    for (const sel of claimed) {
      const [name, kind] = sel.split(":");
      expect([sel, rendered.some((o) => o.metadata.name === name && o.kind.toLowerCase() === kind)]).toEqual([sel, true]);
    }
    // Services attach to their Deployments by selector; everything else must be claimed.
    const loose = rendered.filter((o) => !["Deployment", "Service"].includes(o.kind) && !claimed.has(`${o.metadata.name}:${o.kind.toLowerCase()}`));
    expect(loose.map((o) => `${o.metadata.name}:${o.kind.toLowerCase()}`)).toEqual([]);
  });

  it("forwards the router (8888) and the admin API (9090); labels group services, runtimes, infrastructure", () => {
    const forwards = (name: string) => resources.find((r) => resourceName(r) === name)!.kwargs["port_forwards"];
    expect(forwards("router")).toContain("8888:8888");
    expect(forwards("controller")).toContain("9090:9090");
    const labelOf = new Map(
      [...resources, ...callsOf(calls, "local_resource")].map((r) => [resourceName(r), (r.kwargs["labels"] as string[])[0]]),
    );
    for (const s of deployableServices()) expect([s, labelOf.get(s)]).toEqual([s, "services"]);
    for (const d of deployments.filter((x) => x.metadata.labels?.["app.kubernetes.io/component"] === "infrastructure"))
      expect([d.metadata.name, labelOf.get(d.metadata.name)]).toEqual([d.metadata.name, "infrastructure"]);
    expect([...labelOf.values()].filter((l) => l === "runtimes").length).toBeGreaterThanOrEqual(2);
  });

  it("regenerates code from proto/ with the workspace's own scripts", () => {
    const proto = callsOf(calls, "local_resource").find((r) => r.args[0] === "proto")!;
    expect(proto.kwargs["cmd"]).toBe("pnpm gen && pnpm gen:crds");
    expect(proto.kwargs["deps"]).toEqual(["proto"]);
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts).toHaveProperty("gen");
    expect(scripts).toHaveProperty("gen:crds");
  });
});
