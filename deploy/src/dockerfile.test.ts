import { describe, expect, it } from "@jest/globals";
import { fork, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE_ARGS, SERVICES } from "@fizz/common";
import { effectiveCmd, effectiveEnv, effectiveUser, exposedPorts, inspectDockerfile, runCommands } from "./dockerfile.js";
import { deployableServices, REPO_ROOT } from "./repo.js";

const text = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const docker = inspectDockerfile(text, REPO_ROOT);
const services = deployableServices();
const RUNTIMES = ["runtime-nodejs", "runtime-python"];

describe("Dockerfile", () => {
  it("lints clean: instructions, flags, stages, COPY sources", () => {
    expect(docker.problems).toEqual([]);
  });

  it("reports what a broken Dockerfile gets wrong", () => {
    const bad = [
      "ARG BASE",
      "FROM ${BASE} AS one",
      "COPY no/such/file /x",
      "COPY --from=later /a /b",
      "EXPOSE abc",
      "FROB x",
      "FROM one AS later",
    ].join("\n");
    const problems = inspectDockerfile(bad, REPO_ROOT).problems.join("\n");
    expect(problems).toContain("stage one: FROM ${BASE} uses an ARG without a default");
    expect(problems).toContain("stage one: COPY source no/such/file does not exist");
    expect(problems).toContain("stage one: COPY --from=later names no earlier stage");
    expect(problems).toContain("Invalid containerPort: abc");
    expect(problems).toContain("Unknown instruction: FROB");
  });

  it.each(deployableServices())("target %s: non-root, EXPOSEs its port from ports.ts, runs its deployed package", (svc) => {
    expect(docker.stages.has(svc)).toBe(true);
    expect(effectiveUser(docker, svc)).toBe("1000:1000");
    expect(exposedPorts(docker, svc)).toEqual([SERVICES[svc].port]);
    expect(docker.stages.get(svc)!.instructions.map((i) => i.toString())).toContain(`COPY --from=build /home/node/out/${svc} /app`);
  });

  it.each(deployableServices())("target %s: runs node with the service's NODE_ARGS, as fizz up does", (svc) => {
    expect(effectiveCmd(docker, svc)).toEqual(["node", ...(NODE_ARGS[svc] ?? []), "dist/main.js"]);
  });

  it("the build stage deploys exactly the services whose code exists", () => {
    const loop = runCommands(docker, "build").find((r) => r.includes("deploy --prod"))!;
    const listed = /for p in ([\w\s-]+?); do/.exec(loop)![1]!.trim().split(/\s+/);
    expect(listed.sort()).toEqual([...services].sort());
  });

  it.each(RUNTIMES)("runtime target %s: non-root, serves on 0.0.0.0:8888 with /userfunc", (rt) => {
    expect(effectiveUser(docker, rt)).toBe("1000:1000");
    expect(exposedPorts(docker, rt)).toEqual([8888]);
    expect(effectiveEnv(docker, rt)).toMatchObject({ HOST: "0.0.0.0", PORT: "8888", FIZZ_USERFUNC_DIR: "/userfunc" });
  });

  it("fetcher target: the executor's deployed package, non-root, serves on 0.0.0.0:8000 with /userfunc", () => {
    expect(effectiveUser(docker, "fetcher")).toBe("1000:1000");
    expect(exposedPorts(docker, "fetcher")).toEqual([8000]);
    expect(effectiveEnv(docker, "fetcher")).toMatchObject({ HOST: "0.0.0.0", FIZZ_FETCHER_PORT: "8000", FIZZ_USERFUNC_DIR: "/userfunc" });
    const instructions = docker.stages.get("fetcher")!.instructions.map((i) => i.toString());
    expect(instructions).toContain("COPY --from=build /home/node/out/executor /app");
    expect(instructions).toContain('CMD ["node", "dist/fetcher/main.js"]');
    expect(existsSync(join(REPO_ROOT, "services", "executor", "src", "fetcher", "main.ts"))).toBe(true);
  });

  it("compiles the Node.js runtime with the workspace's TypeScript and Node types", () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    const install = runCommands(docker, "runtime-nodejs-build").join(" ");
    expect(install).toContain(`typescript@${root.devDependencies["typescript"]}`);
    expect(install).toContain(`@types/node@${root.devDependencies["@types/node"]}`);
  });

  it(".dockerignore keeps host builds out and the lockfile in", () => {
    const ignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
    expect(ignore).toEqual(expect.arrayContaining(["**/node_modules", "**/dist", "**/*.tsbuildinfo", ".git"]));
    expect(ignore.some((l) => l.startsWith("pnpm-lock") || l === "*.yaml")).toBe(false);
  });

  // What the build stage does for each service, for real: `pnpm deploy` makes a self-contained
  // directory, and the service starts from it with nothing else from the workspace.
  it("pnpm deploy --prod yields a controller that starts on its own", async () => {
    const out = mkdtempSync(join(tmpdir(), "fizz-deploy-"));
    try {
      const r = spawnSync("pnpm", ["--filter", "@fizz/controller", "deploy", "--prod", join(out, "controller")], { cwd: REPO_ROOT, encoding: "utf8" });
      expect([r.status, r.status === 0 ? "" : r.stderr]).toEqual([0, ""]);
      const child = fork(join(out, "controller", "dist", "main.js"), [], {
        cwd: join(out, "controller"),
        env: { PATH: process.env["PATH"], FIZZ_ADMIN: "127.0.0.1:0", FIZZ_STATE_DIR: join(out, "state"), FIZZ_LOG_LEVEL: "silent" },
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      let stderr = "";
      child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
      const ready = await new Promise<{ ready: string; address: string }>((resolve, reject) => {
        child.once("message", (m) => resolve(m as { ready: string; address: string }));
        child.once("exit", (code) => reject(new Error(`controller exited ${code}: ${stderr}`)));
      });
      expect(ready.ready).toBe("controller");
      expect(ready.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
